# Job functions for rq_session.py.
def add(a, b):
    return a + b


def boom():
    raise ValueError("boom")
