"""The ceiling for HTTP benchmarks: a bare FastAPI app answering a constant JSON document.

An ``async def`` endpoint, as FastAPI's own first example: it runs on the event loop, as our API
endpoints do (a plain ``def`` would add a thread-pool hop to every request, and our endpoints
then measured above the "ceiling")."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
