"""The engine's side of one SecureApiStack, for suites that drive the plugin over gRPC: Stack keeps
the checked inputs, outputs and id the way the engine's state keeps them and runs Check, Diff,
Create, Update, Read and Delete with them."""
from __future__ import annotations

from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from harness.plugin import struct

TYPE = "secureapi:index:SecureApiStack"
URN = f"urn:pulumi:dev::proj::{TYPE}::api"
D = json_format.MessageToDict


class Stack:
    def __init__(self, plugin, urn: str = URN):
        self.p = plugin
        self.urn = urn
        self.inputs = None
        self.outputs = None
        self.id = None

    def check(self, news, seed=b"seed"):
        r = self.p.stub.Check(provider_pb2.CheckRequest(
            urn=self.urn, olds=self.inputs or struct({}), news=struct(news), randomSeed=seed,
            name="api", type=TYPE))
        assert list(r.failures) == [], r.failures
        return r.inputs

    def create(self, news):
        inputs = self.check(news)
        r = self.p.stub.Create(provider_pb2.CreateRequest(urn=self.urn, properties=inputs,
                                                          name="api", type=TYPE, timeout=300))
        self.inputs, self.outputs, self.id = inputs, r.properties, r.id
        return D(r.properties)

    def diff(self, news_inputs):
        return self.p.stub.Diff(provider_pb2.DiffRequest(
            id=self.id, urn=self.urn, olds=self.outputs, news=news_inputs, old_inputs=self.inputs,
            name="api", type=TYPE))

    def update(self, news):
        new_inputs = self.check(news)
        d = self.diff(new_inputs)
        r = self.p.stub.Update(provider_pb2.UpdateRequest(
            id=self.id, urn=self.urn, olds=self.outputs, news=new_inputs, old_inputs=self.inputs,
            name="api", type=TYPE, timeout=300))
        self.inputs, self.outputs = new_inputs, r.properties
        return d, D(r.properties)

    def read(self):
        return self.p.stub.Read(provider_pb2.ReadRequest(
            id=self.id, urn=self.urn, properties=self.outputs, inputs=self.inputs, name="api",
            type=TYPE))

    def refresh(self):
        """Read, and keep what it found as the engine does."""
        r = self.read()
        self.outputs, self.inputs = r.properties, r.inputs
        return D(r.properties)

    def delete(self):
        self.p.stub.Delete(provider_pb2.DeleteRequest(
            id=self.id, urn=self.urn, properties=self.outputs, name="api", type=TYPE,
            timeout=300))
