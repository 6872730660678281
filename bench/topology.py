#!/usr/bin/env python
"""Start the production topology for a bench: nginx (deploy/nginx.conf, TLS) in front of two processes.

The same set-up as the suite's tests/topology.py and bench/workday.py: the two
application processes get docker-compose.yml's environment and command, with
the database and Redis of DATABASE_URL and REDIS_URL (PostgreSQL and Redis are
required: the in-memory channel layer cannot join two processes). Migrates and
loads the demo first.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/topology.py -- bench/issue_and_call.py -n 1500

``--processes N`` (before ``--``) starts N application processes instead of two.

With a command after ``--`` it runs it with BENCH_URL (nginx's https address)
BENCH_DIRECT_URLS (the two processes' own addresses, comma-separated),
BENCH_SERVER_PIDS (their process ids) and BENCH_WORKER_PID (the webhook worker's, which
the topology runs as docker-compose.yml does) in its environment, then stops
everything; without one it prints the addresses and serves until Ctrl-C.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    options = argv[: argv.index("--")] if "--" in argv else argv
    processes = int(options[options.index("--processes") + 1]) if "--processes" in options else 2
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL=postgres://... and REDIS_URL=redis://...: two processes need Redis between them")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "queue_system.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from tests.topology import Topology, collect_static, make_certificate

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    workdir = Path(tempfile.mkdtemp(prefix="bench-topology-"))
    topology = Topology(
        workdir=workdir,
        certs=make_certificate(workdir / "certs"),
        static=collect_static(workdir / "static"),
        database_url=os.environ["DATABASE_URL"],
        redis_url=os.environ["REDIS_URL"],
        processes=processes,
        # A bench's clients all come from 127.0.0.1: the per-client limits would stop it.
        REMOTE_TICKETS_PER_CLIENT="100000/second",
        REMOTE_TICKETS_PER_OFFICE="100000/second",
    ).start()
    direct = ",".join(d.url for d in topology.daphnes)
    print(f"topology: {topology.url} -> {direct}; logs in {workdir}", flush=True)
    try:
        if command:
            if command[0].endswith(".py"):
                command = [sys.executable, *command]
            pids = ",".join(str(d.process.pid) for d in topology.daphnes)
            env = {
                **os.environ,
                "BENCH_URL": topology.url,
                "BENCH_DIRECT_URLS": direct,
                "BENCH_SERVER_PIDS": pids,
                "BENCH_WORKER_PID": str(topology.worker.process.pid),
                "PYTHONUNBUFFERED": "1",
            }
            return subprocess.run(command, cwd=ROOT, env=env).returncode
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
