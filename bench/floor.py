"""Benchmark 7, the floor: the best this machine does for the same hops, without Django.

Two latencies, each from a send in one place to its arrival in another, on loopback:
- a raw relay: a `websockets` server in its own process forwarding a frame from one client
  to another (what a cross-tab push in one process costs at the least);
- a raw Redis PUBLISH reaching a subscriber (the least a cross-process push adds).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from tests.servers import free_port

from .harness import Context, summary_ms

RELAY = """
import asyncio, sys
from websockets.asyncio.server import serve
clients = set()
async def relay(ws):
    clients.add(ws)
    try:
        async for message in ws:
            for other in list(clients):
                if other is not ws:
                    await other.send(message)
    finally:
        clients.discard(ws)
async def main():
    async with serve(relay, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()
asyncio.run(main())
"""


async def relay_latencies(samples: int) -> list[float]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", RELAY, str(port)])
    try:
        for _ in range(100):
            try:
                sender = await connect(f"ws://127.0.0.1:{port}")
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("the relay did not start")
        async with sender, connect(f"ws://127.0.0.1:{port}") as receiver:
            await asyncio.sleep(0.1)
            latencies = []
            for index in range(samples + 10):  # the first ten warm up
                started = time.perf_counter()
                await sender.send(str(index))
                await receiver.recv()
                if index >= 10:
                    latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.005)
            return latencies
    finally:
        server.terminate()
        server.wait()


async def publish_latencies(url: str, samples: int) -> list[float]:
    publisher = aioredis.from_url(url)
    subscriber = aioredis.from_url(url)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe("floor")
    await pubsub.get_message(timeout=1)  # the subscription's confirmation
    latencies = []
    try:
        for index in range(samples + 10):
            started = time.perf_counter()
            await publisher.publish("floor", str(index))
            while (await pubsub.get_message(timeout=1)) is None:
                pass
            if index >= 10:
                latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)
    finally:
        await pubsub.aclose()
        await publisher.aclose()
        await subscriber.aclose()
    return latencies


def run(context: Context) -> dict[str, Any]:
    samples = 50 if context.quick else 1000
    relay = asyncio.run(relay_latencies(samples))
    publish = asyncio.run(publish_latencies(context.redis.url, samples))
    return {
        "websocket_relay": summary_ms(relay),
        "redis_publish": summary_ms(publish),
        "notes": [
            "Each sample is one message sent and received in the same process (perf_counter), "
            "so no clock offset enters; the relay hop crosses two sockets and one other process.",
        ],
    }
