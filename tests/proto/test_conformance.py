"""Checks that our own .proto declarations under proto/ are wire-compatible with Pulumi's.

Our side is compiled with Debian's `protoc` (package protobuf-compiler) into a FileDescriptorSet;
the reference side is the descriptors published in the `pulumi` Python package
(pulumi.runtime.proto.*_pb2) and googleapis-common-protos (google.rpc.status_pb2). For every
message (nested and map-entry types included), enum and service we declare, the field names,
numbers, types, type names, labels and oneofs, the enum values and the method signatures must
match. A proto3 `optional` field upstream equals a plain singular field here: protoc-c 1.4.1
cannot compile `optional`, and the wire format is the same. The well-known types under
google/protobuf/ are not ours and are not checked.

Run: "$(bash tools/setup/setup-venv.sh | tail -n1)/bin/pytest" -p no:cacheprovider tests/proto
"""

import copy
import importlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

PROTO_DIR = Path(__file__).resolve().parents[2] / "proto"

# Modules whose descriptors (and their imports) form the reference.
REFERENCE_MODULES = [
    "pulumi.runtime.proto.alias_pb2",
    "pulumi.runtime.proto.engine_pb2",
    "pulumi.runtime.proto.errors_pb2",
    "pulumi.runtime.proto.plugin_pb2",
    "pulumi.runtime.proto.provider_pb2",
    "google.rpc.status_pb2",
]

FDP = descriptor_pb2.FieldDescriptorProto
TYPE_NAMES = {number: name for name, number in FDP.Type.items()}
LABEL_NAMES = {number: name for name, number in FDP.Label.items()}


# ---- loading both sides --------------------------------------------------------------------


def wkt_include_dir():
    """The directory holding Debian's google/protobuf/*.proto (libprotobuf-dev)."""
    candidates = []
    if shutil.which("pkg-config"):
        res = subprocess.run(["pkg-config", "--variable=includedir", "protobuf"],
                             capture_output=True, text=True)
        if res.returncode == 0 and res.stdout.strip():
            candidates.append(res.stdout.strip())
    candidates.append("/usr/include")
    for cand in candidates:
        if (Path(cand) / "google/protobuf/struct.proto").is_file():
            return cand
    raise RuntimeError("google/protobuf/struct.proto not found in %s: install Debian's "
                       "libprotobuf-dev" % candidates)


def compile_ours():
    """Our .proto files as a FileDescriptorSet, plus the set of file names that are ours."""
    protoc = shutil.which("protoc")
    if protoc is None:
        raise RuntimeError("protoc not found on PATH: install Debian's protobuf-compiler "
                           "(apt-get install protobuf-compiler); this test needs it")
    ours = sorted(p.relative_to(PROTO_DIR).as_posix() for p in PROTO_DIR.rglob("*.proto"))
    if not ours:
        raise RuntimeError("no .proto files under %s" % PROTO_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ours.pb")
        res = subprocess.run([protoc, "-I", str(PROTO_DIR), "-I", wkt_include_dir(),
                              "--include_imports", "--descriptor_set_out=" + out, *ours],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError("protoc failed on %s:\n%s" % (PROTO_DIR, res.stderr))
        fds = descriptor_pb2.FileDescriptorSet.FromString(Path(out).read_bytes())
    return fds, set(ours)


def reference_files():
    """FileDescriptorProtos of the reference modules and everything they import."""
    files, todo = {}, []
    for name in REFERENCE_MODULES:
        todo.append(importlib.import_module(name).DESCRIPTOR)
    while todo:
        fd = todo.pop()
        if fd.name in files:
            continue
        proto = descriptor_pb2.FileDescriptorProto()
        fd.CopyToProto(proto)
        files[fd.name] = proto
        todo.extend(fd.dependencies)
    return list(files.values())


def index(files):
    """Full name ('pulumirpc.X.Y') -> DescriptorProto / EnumDescriptorProto /
    ServiceDescriptorProto, for every message, enum and service in files."""
    messages, enums, services = {}, {}, {}

    def walk(prefix, msg):
        full = prefix + "." + msg.name
        messages[full] = msg
        for enum in msg.enum_type:
            enums[full + "." + enum.name] = enum
        for nested in msg.nested_type:
            walk(full, nested)

    for f in files:
        for msg in f.message_type:
            walk(f.package, msg)
        for enum in f.enum_type:
            enums[f.package + "." + enum.name] = enum
        for svc in f.service:
            services[f.package + "." + svc.name] = svc
    return messages, enums, services


# ---- comparison ----------------------------------------------------------------------------


def oneof_of(msg, field):
    """The real oneof a field belongs to, or None (proto3 `optional` counts as none)."""
    if not field.HasField("oneof_index") or field.proto3_optional:
        return None
    return msg.oneof_decl[field.oneof_index].name


def field_facts(msg, field):
    return {
        "number": field.number,
        "type": TYPE_NAMES[field.type],
        "type_name": field.type_name.lstrip("."),
        "label": LABEL_NAMES[field.label],
        "oneof": oneof_of(msg, field),
    }


def compare_message(name, ours, ref):
    """Differences between our message and Pulumi's, as a list of strings."""
    if ref is None:
        return ["%s: declared here but not in Pulumi's descriptors" % name]
    diffs = []
    if ours.options.map_entry != ref.options.map_entry:
        diffs.append("%s: map entry here=%s pulumi=%s"
                     % (name, ours.options.map_entry, ref.options.map_entry))
    our_fields = {f.name: f for f in ours.field}
    ref_fields = {f.name: f for f in ref.field}
    for fname in sorted(our_fields.keys() - ref_fields.keys()):
        diffs.append("%s.%s: field not in Pulumi's message" % (name, fname))
    for fname in sorted(ref_fields.keys() - our_fields.keys()):
        diffs.append("%s.%s: Pulumi's field #%d is not declared here"
                     % (name, fname, ref_fields[fname].number))
    for fname in sorted(our_fields.keys() & ref_fields.keys()):
        a = field_facts(ours, our_fields[fname])
        b = field_facts(ref, ref_fields[fname])
        for key in a:
            if a[key] != b[key]:
                diffs.append("%s.%s: %s here=%r pulumi=%r" % (name, fname, key, a[key], b[key]))
        if our_fields[fname].proto3_optional:
            diffs.append("%s.%s: proto3 optional (protoc-c 1.4.1 cannot compile it)"
                         % (name, fname))
    for kind in ("nested_type", "enum_type"):
        a = {t.name for t in getattr(ours, kind)}
        b = {t.name for t in getattr(ref, kind)}
        for tname in sorted(b - a):
            diffs.append("%s: Pulumi's %s %s is not declared here" % (name, kind, tname))
    return diffs


def compare_enum(name, ours, ref):
    if ref is None:
        return ["%s: declared here but not in Pulumi's descriptors" % name]
    a = {v.name: v.number for v in ours.value}
    b = {v.name: v.number for v in ref.value}
    if a == b:
        return []
    return ["%s: values here=%s pulumi=%s" % (name, sorted(a.items()), sorted(b.items()))]


def compare_service(name, ours, ref):
    if ref is None:
        return ["%s: declared here but not in Pulumi's descriptors" % name]

    def sig(m):
        return (m.input_type.lstrip("."), m.output_type.lstrip("."),
                m.client_streaming, m.server_streaming)

    a = {m.name: sig(m) for m in ours.method}
    b = {m.name: sig(m) for m in ref.method}
    diffs = []
    for mname in sorted(a.keys() - b.keys()):
        diffs.append("%s.%s: method not in Pulumi's service" % (name, mname))
    for mname in sorted(b.keys() - a.keys()):
        diffs.append("%s.%s: Pulumi's method is not declared here" % (name, mname))
    for mname in sorted(a.keys() & b.keys()):
        if a[mname] != b[mname]:
            diffs.append("%s.%s: (input, output, client streaming, server streaming) "
                         "here=%s pulumi=%s" % (name, mname, a[mname], b[mname]))
    return diffs


COMPARERS = {"message": compare_message, "enum": compare_enum, "service": compare_service}


def declared(fds, ours):
    """[(kind, full name, descriptor proto)] for everything declared in our own files."""
    messages, enums, services = index([f for f in fds.file if f.name in ours])
    return ([("message", n, d) for n, d in sorted(messages.items())]
            + [("enum", n, d) for n, d in sorted(enums.items())]
            + [("service", n, d) for n, d in sorted(services.items())])


def compare(kind, name, ours, reference):
    """All differences for one declaration; reference is the index() of Pulumi's files."""
    ref_table = reference[("message", "enum", "service").index(kind)]
    return COMPARERS[kind](name, ours, ref_table.get(name))


# ---- tests ---------------------------------------------------------------------------------


def _load():
    """(descriptor set, our file names, None) or (None, None, error text). Errors are reported
    by the tests as failures, never as skips or collection errors."""
    try:
        fds, ours = compile_ours()
        return fds, ours, None
    except RuntimeError as exc:
        return None, None, str(exc)


OUR_FDS, OUR_FILES, LOAD_ERROR = _load()
DECLARED = declared(OUR_FDS, OUR_FILES) if OUR_FDS is not None else []


@pytest.fixture(scope="module")
def reference():
    return index(reference_files())


@pytest.mark.parametrize(
    "kind,name,ours",
    [pytest.param(k, n, d, id="%s:%s" % (k, n)) for k, n, d in DECLARED]
    or [pytest.param(None, None, None, id="compile-our-protos")])
def test_matches_pulumi(kind, name, ours, reference):
    if LOAD_ERROR is not None:
        pytest.fail(LOAD_ERROR)
    diffs = compare(kind, name, ours, reference)
    assert not diffs, "%s %s differs from Pulumi's:\n  %s" % (kind, name, "\n  ".join(diffs))


def test_declarations_cover_the_protocol():
    """The services and the error details the provider needs are all declared."""
    if LOAD_ERROR is not None:
        pytest.fail(LOAD_ERROR)
    names = {n for _, n, _ in DECLARED}
    needed = {"pulumirpc.ResourceProvider", "pulumirpc.Engine", "google.rpc.Status",
              "pulumirpc.ErrorResourceInitFailed", "pulumirpc.ConfigureErrorMissingKeys",
              "pulumirpc.InputPropertiesError", "pulumirpc.LogSeverity"}
    assert not needed - names, "not declared: %s" % sorted(needed - names)


def test_checker_detects_a_changed_field_number(reference):
    """Mutates one field number of our compiled descriptors in memory: the comparison must
    report it, so a green run above means something."""
    if LOAD_ERROR is not None:
        pytest.fail(LOAD_ERROR)
    fds = copy.deepcopy(OUR_FDS)
    target = "pulumirpc.CreateRequest"
    msg = index([f for f in fds.file if f.name in OUR_FILES])[0][target]
    assert compare("message", target, msg, reference) == []
    field = next(f for f in msg.field if f.name == "preview")
    field.number = 40
    diffs = compare("message", target, msg, reference)
    assert diffs == ["pulumirpc.CreateRequest.preview: number here=40 pulumi=4"], diffs
