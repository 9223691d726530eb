"""datatrove 0.10.1's default MinHash shingle hash passes str to xxhash, which xxhash 4 refuses
("Strings must be encoded before hashing"). The bench gives its signature step this wrapper
(the same 64-bit xxhash, on UTF-8 bytes) so that datatrove runs with its default settings."""

import xxhash


def xxhash64_of_str(data):
    return xxhash.xxh64_intdigest(data.encode() if isinstance(data, str) else data)
