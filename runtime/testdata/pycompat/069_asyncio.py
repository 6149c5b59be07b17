# asyncio without sockets: coroutines, gather, queues, timeouts of zero length.
import asyncio
async def square(n):
    await asyncio.sleep(0)
    return n * n
async def producer(q, n):
    for i in range(n):
        await q.put(i)
    await q.put(None)
async def consumer(q):
    out = []
    while (item := await q.get()) is not None:
        out.append(item * 10)
    return out
async def main():
    print(await asyncio.gather(*(square(i) for i in range(5))))
    q = asyncio.Queue()
    _, got = await asyncio.gather(producer(q, 4), consumer(q))
    print(got)
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(square(i)) for i in (7, 8)]
    print([t.result() for t in tasks])
    try:
        async with asyncio.timeout(0):
            await asyncio.sleep(10)
    except TimeoutError:
        print("timed out")
    return "done"
print(asyncio.run(main()))
