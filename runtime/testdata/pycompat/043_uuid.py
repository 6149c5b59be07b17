# uuid: name-based (deterministic) uuids only.
import uuid
u5 = uuid.uuid5(uuid.NAMESPACE_DNS, "example.com")
u3 = uuid.uuid3(uuid.NAMESPACE_URL, "https://example.com/x")
print(u5, u3, u5.version, u3.version, u5.variant, u5.hex, u5.int % 1000, u5.urn)
print(uuid.UUID("12345678-1234-5678-1234-567812345678"), uuid.UUID("{12345678-1234-5678-1234-567812345678}").bytes.hex(), uuid.UUID(int=0), uuid.UUID(bytes=b"\x01" * 16))
print(uuid.uuid5(uuid.NAMESPACE_OID, "1.2.3"), uuid.uuid5(uuid.NAMESPACE_X500, "cn=x"), uuid.UUID(str(u5)) == u5, str(u5).upper())
print(len(str(uuid.uuid4())), uuid.uuid4().version, uuid.uuid4() != uuid.uuid4())
try:
    uuid.UUID("not-a-uuid")
except ValueError as e:
    print("ValueError:", e)
