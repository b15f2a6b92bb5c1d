from tests.integration.workflow.fixtures import fresh_demo, wf_db  # noqa: F401
