"""Both services' CLIs call `uvicorn.run` with loop and HTTP parser left on "auto": the project
installs uvloop and httptools so that "auto" means the fast ones (docs/benchmarks.md)."""

import asyncio

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def test_auto_means_uvloop_and_httptools() -> None:
    config = uvicorn.Config(FastAPI(), host="127.0.0.1", port=0)  # the CLIs' choices: loop and http not set
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        loop.close()
