"""The ceiling for HTTP benchmarks: a bare FastAPI app answering a constant JSON document."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
