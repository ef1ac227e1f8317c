/*
 * Conversion between the value model (value.h) and google.protobuf.Struct as the Pulumi engine
 * encodes properties: secrets, resource references and unknown sentinels are recognised and kept;
 * assets, archives and byte strings are refused with an error naming the property path; depth,
 * element counts and string sizes are bounded. Structs produced here are heap-allocated throughout
 * and freed with protobuf_c_message_free_unpacked(&s->base, NULL).
 */
#ifndef SA_VALUE_STRUCT_H
#define SA_VALUE_STRUCT_H

#include "base/error.h"
#include "base/value.h"
#include "google/protobuf/struct.pb-c.h"

/* Decodes a Struct into a new object value (an empty object when s is NULL). */
int sa_value_from_struct(sa_value **out, const Google__Protobuf__Struct *s, sa_error *err);

/* Encodes an object value into a new Struct. */
int sa_value_to_struct(Google__Protobuf__Struct **out, const sa_value *obj, sa_error *err);

#endif
