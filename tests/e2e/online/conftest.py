from tests.e2e.origination.conftest import contract_storage  # noqa: F401  (signed PDFs to a temp folder)
