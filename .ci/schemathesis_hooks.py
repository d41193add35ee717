"""Schemathesis hooks for .ci/schemathesis.sh.

An evidence upload (POST /api/v1/disputes/{id}/evidence) is checked by its
content: only a real JPEG, PNG or PDF is accepted, which no JSON Schema can
say. Its `file` part is the API's only `format: binary` string, so the files
generated for that format are real ones of those types (schemathesis' own
smallest samples) rather than random bytes: a schema-valid upload is then
one the server can accept, and the positive-data check stays meaningful."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.file_samples import FILE_SAMPLES
from schemathesis.transport.serialization import Binary

schemathesis.openapi.format(
    "binary",
    st.sampled_from([FILE_SAMPLES["jpg"], FILE_SAMPLES["png"], FILE_SAMPLES["pdf"]]).map(Binary),
)
