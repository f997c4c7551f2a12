"""Locust user for `manage.py loadtest`: replays the request plan the command wrote (see README, Benchmarks).

Each simulated user is one signed-in person (its session cookie comes from the real sign-in form) and
sends its planned requests one after the other with no think time: a closed loop at a fixed concurrency.
The plan, not this file, holds the mix; this file only replays it.
"""

import itertools
import json
import os

from locust import FastHttpUser, task

with open(os.environ["VOM_LOADTEST_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
_slots = itertools.count()


class PlannedUser(FastHttpUser):
    connection_timeout = 30.0
    network_timeout = 30.0

    def on_start(self):
        slot = PLAN["users"][next(_slots) % len(PLAN["users"])]
        self.headers = {"Cookie": f"sessionid={slot['session']}", "X-Forwarded-Proto": "https"}
        self.requests = itertools.cycle(slot["requests"])

    @task
    def next_request(self):
        name, path = next(self.requests)
        # Every request must answer 200 itself: a redirect (to sign-in, say) is an error, not followed.
        with self.client.get(
            path, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
