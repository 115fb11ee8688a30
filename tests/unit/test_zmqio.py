"""The trio/zmq transport, on real sockets over inproc and tcp loopback."""

from __future__ import annotations

import trio
import trio.testing
import zmq

from bridge.zmqio import AsyncSocket


def pair(ctx: zmq.Context, kind_a: int, kind_b: int, hwm: int | None = None) -> tuple[AsyncSocket, AsyncSocket]:
    a = ctx.socket(kind_a)
    b = ctx.socket(kind_b)
    if hwm is not None:  # only effective before bind/connect
        a.setsockopt(zmq.SNDHWM, hwm)
        b.setsockopt(zmq.RCVHWM, hwm)
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b.connect(f"tcp://127.0.0.1:{port}")
    return AsyncSocket(a), AsyncSocket(b)


async def test_multipart_round_trip() -> None:
    ctx = zmq.Context()
    router, dealer = pair(ctx, zmq.ROUTER, zmq.DEALER)
    try:
        await dealer.send_multipart([b"a", b"b"])
        ident, *rest = await router.recv_multipart()
        assert rest == [b"a", b"b"]
        await router.send_multipart([ident, b"reply"])
        assert await dealer.recv_multipart() == [b"reply"]
    finally:
        router.close()
        dealer.close()
        ctx.term()


async def test_parked_receiver_wakes_when_a_send_swallows_the_edge() -> None:
    """zmq's FD is edge-triggered: a send on the socket can consume the readable edge
    meant for a receiver parked in wait_readable. The receiver must still wake."""
    ctx = zmq.Context()
    router, dealer = pair(ctx, zmq.ROUTER, zmq.DEALER)
    got: list[list[bytes]] = []
    try:
        await dealer.send_multipart([b"hello"])
        ident, _ = await router.recv_multipart()

        async def receive_all() -> None:
            for _ in range(200):
                got.append(await dealer.recv_multipart())

        with trio.fail_after(30):  # a hang guard, not a speed assertion
            async with trio.open_nursery() as nursery:
                nursery.start_soon(receive_all)
                for i in range(200):
                    await router.send_multipart([ident, str(i).encode()])
                    await dealer.send_multipart([b"noise"])  # sends on the receiver's socket
        assert [m[0] for m in got] == [str(i).encode() for i in range(200)]
    finally:
        router.close()
        dealer.close()
        ctx.term()


async def test_burst_is_drained_completely() -> None:
    ctx = zmq.Context()
    # a PUB socket drops past its high-water mark; this test is about draining, not HWM
    pub, sub = pair(ctx, zmq.PUB, zmq.SUB, hwm=0)
    sub.sock.setsockopt(zmq.SUBSCRIBE, b"")
    try:
        with trio.fail_after(30):
            while True:  # wait for the subscription to land (the slow-joiner problem)
                await pub.send_multipart([b"probe"])
                with trio.move_on_after(0.05):
                    await sub.recv_multipart()
                    break
            while sub.recv_multipart_nowait() is not None:
                pass
            for i in range(5000):
                pub.sock.send_multipart([b"m", str(i).encode()])
            received = [await sub.recv_multipart() for _ in range(5000)]
        assert received[-1] == [b"m", b"4999"]
    finally:
        pub.close()
        sub.close()
        ctx.term()


async def test_close_wakes_a_parked_receiver() -> None:
    ctx = zmq.Context()
    a, b = pair(ctx, zmq.DEALER, zmq.DEALER)
    result: list[str] = []

    async def park() -> None:
        try:
            await b.recv_multipart()
        except trio.ClosedResourceError:
            result.append("closed")

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(park)
            await trio.sleep(0.05)
            b.close()
    a.close()
    ctx.term()
    assert result == ["closed"]


async def test_senders_blocked_by_a_full_socket_send_in_the_order_they_called() -> None:
    """A kernel answers shell requests in the order it receives them, and the session
    takes a reply to a later request as proof that an earlier one was dropped: so the
    order messages leave must be the order ``send_multipart`` was called in, also while
    the high-water mark holds senders back (2,000 pipelined executes under load)."""
    ctx = zmq.Context()
    # inproc: no TCP buffers behind the high-water marks, so senders do wait
    a, b = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
    a.setsockopt(zmq.RCVHWM, 2)
    b.setsockopt(zmq.SNDHWM, 2)
    a.bind("inproc://order")
    b.connect("inproc://order")
    router, dealer = AsyncSocket(a), AsyncSocket(b)
    n = 60
    try:
        with trio.fail_after(30):  # a hang guard, not a speed assertion
            async with trio.open_nursery() as nursery:
                for i in range(n):
                    nursery.start_soon(dealer.send_multipart, [str(i).encode()])
                    # the next sender calls only once this one has sent or is waiting
                    await trio.testing.wait_all_tasks_blocked()
                received = []
                while len(received) < n:
                    _, body = await router.recv_multipart()
                    received.append(int(body))
                    await trio.sleep(0.001)  # a slow reader: room frees one message at a time
        assert received == list(range(n))
    finally:
        router.close()
        dealer.close()
        ctx.term()
