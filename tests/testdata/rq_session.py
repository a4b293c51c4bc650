# An RQ (python3-rq) session through one server: jobs enqueued, run by a
# SimpleWorker in burst mode (LPOP) and by one blocked in BLPOP, retries,
# dependencies (WATCH/MULTI), the scheduler's ZSET registry, Queue.empty's
# Lua script, and the worker's Pub/Sub command channel (a shutdown command
# ends the blocked worker). Prints one line per step; tests/rq_test.go
# runs it against redis-server and titan and compares the transcripts.
#
# usage: python3 rq_session.py <module dir> redis://host:port
import sys, threading, time, logging
from datetime import datetime, timezone

sys.path.insert(0, sys.argv[1])
import redis
from rq import Queue, SimpleWorker, Retry
from rq.command import send_shutdown_command
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, DeferredJobRegistry
from rq.scheduler import RQScheduler
from rq.worker import Worker
import rq_jobs

logging.disable(logging.CRITICAL)
r = redis.Redis.from_url(sys.argv[2])
r.flushdb()
# RQ keeps results in streams (XADD/XREVRANGE) on Redis 5.0 and later.
out = lambda *a: print(*a, flush=True)

q = Queue("default", connection=r)
jobs = [q.enqueue(rq_jobs.add, i, i, job_id="add-%d" % i) for i in range(10)]
bad = q.enqueue(rq_jobs.boom, job_id="boom", retry=Retry(max=1))
first = q.enqueue(rq_jobs.add, 1, 2, job_id="first")
after = q.enqueue(rq_jobs.add, 3, 4, job_id="after", depends_on=first)
out("queued", q.count, sorted(q.job_ids)[:3], after.get_status())
out("deferred", DeferredJobRegistry(queue=q).get_job_ids())

w = SimpleWorker([q], connection=r)
out("burst worked", w.work(burst=True))
for j in jobs + [first, after]:
    j.refresh()
out("results", [j.result for j in jobs], first.result, after.result, after.get_status())
bad.refresh()
out("bad", bad.get_status(), bad.retries_left, FailedJobRegistry(queue=q).get_job_ids())
out("finished", len(FinishedJobRegistry(queue=q).get_job_ids()), q.count)

# Scheduled jobs: a ZSET of due times, moved to the queue by the scheduler.
later = q.enqueue_at(datetime(2020, 1, 1, tzinfo=timezone.utc), rq_jobs.add, 5, 5, job_id="later")
out("scheduled", ScheduledJobRegistry(queue=q).get_job_ids(), later.get_status())
s = RQScheduler([q], connection=r)
out("scheduler locks", sorted(s.acquire_locks()))
s.enqueue_scheduled_jobs()
out("after scheduler", ScheduledJobRegistry(queue=q).get_job_ids(), q.job_ids, later.get_status())
s.release_locks()

# Queue.empty runs a Lua script.
for i in range(5):
    q.enqueue(rq_jobs.add, i, 0, job_id="drop-%d" % i)
out("emptied", q.empty(), q.count, Job.exists("drop-0", connection=r))

# A worker blocked in BLPOP takes jobs enqueued while it waits; a
# shutdown command on its Pub/Sub channel ends it.
w2 = Worker([q], connection=r, name="blocking-worker")
w2.__class__ = SimpleWorker
def feed():
    time.sleep(0.3)
    c = redis.Redis.from_url(sys.argv[2])
    q2 = Queue("default", connection=c)
    q2.enqueue(rq_jobs.add, 20, 22, job_id="woken")
    deadline = time.time() + 20
    while Job.fetch("woken", connection=c).get_status() != "finished" and time.time() < deadline:
        time.sleep(0.05)
    send_shutdown_command(c, "blocking-worker")
threading.Thread(target=feed, daemon=True).start()
w2.work(burst=False)
woken = Job.fetch("woken", connection=r)
out("woken", woken.get_status(), woken.result)
out("workers left", Worker.count(connection=r))
