"""The load mix of `make load` (benchmarks/load.py runs it headless against gunicorn).

Signed-in office users and inspectors: 70% ledger and hazard-detail reads, 20% home and
dashboard, 10% writes (an inspector's 开始整改 of a hazard in their queue, the loop's most
frequent transition; the office's share of writes is read as its triage queue). A refused write (someone else moved the hazard first) answers 400
with its reason: counted as a success, since that is the app working; any 5xx is a failure.

Credentials come from the environment (LOAD_OFFICE, LOAD_INSPECTORS, LOAD_PASSWORD).
"""

import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
OFFICE = os.environ.get("LOAD_OFFICE", "")
INSPECTORS = [n for n in os.environ.get("LOAD_INSPECTORS", "").split(",") if n]
HAZARD_LINK = re.compile(r'href="/hazards/(\d+)/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'action="/hazards/\d+/act/start/".*?name="version" value="(\d+)"', re.S)


class Staff(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    username = ""

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )
        if "/accounts/login/" in response.url:
            raise RuntimeError(f"{self.username} could not sign in")
        self.hazard_ids: list[int] = []

    def ledger(self, query: str, name: str):
        response = self.client.get(f"/hazards/{query}", name=name)
        found = [int(pk) for pk in HAZARD_LINK.findall(response.text)]
        if found:
            self.hazard_ids = found
        return response

    # 70% reads of the ledger and of hazards
    @task(25)
    def ledger_first_page(self):
        self.ledger("", "ledger")

    @task(10)
    def ledger_overdue(self):
        self.ledger("?status=overdue", "ledger overdue")

    @task(5)
    def ledger_keyword(self):
        self.ledger(f"?q={random.choice(['电梯', '消防', '灭火器', '通道', '配电'])}", "ledger q")

    @task(5)
    def ledger_deep_page(self):
        self.ledger(f"?page={random.randint(20, 200)}", "ledger deep page")

    @task(25)
    def hazard_detail(self):
        if self.hazard_ids:
            self.client.get(f"/hazards/{random.choice(self.hazard_ids)}/", name="hazard detail")

    # 20% home and dashboard
    @task(12)
    def home(self):
        self.client.get("/", name="home")

    @task(8)
    def dashboard(self):
        self.client.get("/dashboard/", name="dashboard")


class Office(Staff):
    weight = 1

    def on_start(self):
        self.username = OFFICE
        super().on_start()

    # The office's writes would be triage; its share of writes goes to reads here.
    @task(10)
    def queue(self):
        self.ledger("?queue=to_triage", "ledger queue")


class Inspector(Staff):
    weight = 3

    def on_start(self):
        self.username = random.choice(INSPECTORS)
        super().on_start()

    # 10% writes: 开始整改 of a hazard waiting to be started.
    @task(10)
    def start_rectifying(self):
        self.ledger("?queue=to_start", "ledger queue")
        if not self.hazard_ids:
            return
        pk = random.choice(self.hazard_ids)
        page = self.client.get(f"/hazards/{pk}/", name="hazard detail")
        version, token = VERSION.search(page.text), CSRF.search(page.text)
        if not (version and token):
            return  # started by someone else since the list was read
        with self.client.post(
            f"/hazards/{pk}/act/start/",
            {
                "version": version.group(1),
                "plan": "按整改通知要求落实整改",
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": f"{self.host}/hazards/{pk}/"},
            name="write: start rectifying",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 302, 400):
                response.success()
            else:
                response.failure(f"{response.status_code}")
