"""Protocol-buffer wire format, for writers that assemble hot messages from parts.

A message serialised deterministically is its set fields in field-number order, each a
*tag* (field number and wire type, as a varint) and a value: a varint (integers, enums,
bools; a negative int64 as its 64-bit two's complement), eight little-endian bytes
(fixed64, double), or a length-delimited payload (strings, bytes, sub-messages: the
length as a varint, then the payload). Repeated fields that are not packed repeat the
tag and value per element. These pure functions make those pieces; tags are taken from
the generated classes' descriptors, so field numbers and types come from the schema.
"""

from __future__ import annotations

import struct

from google.protobuf.descriptor import FieldDescriptor

MASK64 = (1 << 64) - 1
"""An int64's two's complement as the uint64 that a varint carries."""

_SMALL = 1 << 14
_VARINTS = [bytes((v,)) for v in range(128)]
_VARINTS += [bytes((v & 0x7F | 0x80, v >> 7)) for v in range(128, _SMALL)]
"""The varints of 0 .. 2**14 - 1 (one or two bytes), looked up rather than made."""

_FIXED64 = struct.Struct("<Q").pack
_DOUBLE = struct.Struct("<d").pack

_WIRE_TYPES = {
    FieldDescriptor.TYPE_DOUBLE: 1,
    FieldDescriptor.TYPE_FIXED64: 1,
    FieldDescriptor.TYPE_SFIXED64: 1,
    FieldDescriptor.TYPE_STRING: 2,
    FieldDescriptor.TYPE_BYTES: 2,
    FieldDescriptor.TYPE_MESSAGE: 2,
    FieldDescriptor.TYPE_FLOAT: 5,
    FieldDescriptor.TYPE_FIXED32: 5,
    FieldDescriptor.TYPE_SFIXED32: 5,
}
"""Wire type by field type; every other scalar type (ints, enums, bool) is a varint (0).
sint32/sint64 (zigzag) are not supported: `varint` does not zigzag."""


def varint(value: int) -> bytes:
    """The base-128 varint of `value` (0 <= value < 2**64; mask an int64 with MASK64)."""
    if 0 <= value < _SMALL:
        return _VARINTS[value]
    if _SMALL <= value < 1 << 28:  # times in ns up to 0.27 s: no loop
        if value < 1 << 21:
            return bytes((value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14))
        return bytes(
            (value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14 & 0x7F | 0x80, value >> 21)
        )
    if value < 0 or value > MASK64:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(message_class: type, field_name: str) -> bytes:
    """The tag of `field_name` of `message_class` (a generated protobuf class)."""
    field = message_class.DESCRIPTOR.fields_by_name[field_name]
    if field.type in (FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64):
        raise ValueError(f"{field_name}: zigzag-encoded fields are not supported")
    if field.type == FieldDescriptor.TYPE_GROUP or field.is_packed:
        raise ValueError(f"{field_name}: groups and packed fields are not supported")
    return varint(field.number << 3 | _WIRE_TYPES.get(field.type, 0))


def delimited(field_tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: its tag, the payload's length, the payload."""
    return field_tag + varint(len(payload)) + payload


def fixed64(value: int) -> bytes:
    return _FIXED64(value)


def double(value: float) -> bytes:
    return _DOUBLE(value)
