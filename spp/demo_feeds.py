"""Demo customers, teams, packs, events and usage, written as the operator's feed files
(SPEC §12) and loaded through the real imports, so the demo exercises what production does.

Deterministic for a seed and a business date D: the same seed on the same D gives the
same files. Dates are relative to D so that the demo always looks current.

Profiles (each team gets one) make every part of the portal show something real:
steady burners, AEC teams with a summer peak, heavy burners under 20 %, teams at 20–30 %,
onboarding teams that bought but have not started, dormant teams, teams buying from
several suppliers, packs expiring soon, a pack moved between teams and a team merge.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flex.ledger import default_end_date

# Public figures (SPEC §12) and demo catalog values for the rest.
PRODUCTS = {
    "AutoCAD": (7, 2030),
    "Revit": (10, 3180),
    "Maya": (6, 2110),
    "Fusion": (3, 680),
    "3ds Max": (6, 2110),
    "Civil 3D": (9, 2825),
    "Inventor": (8, 2600),
    "Navisworks Manage": (7, 3060),
}
VERSIONS = {
    "AutoCAD": ["2025", "2026"],
    "Revit": ["2024", "2025", "2026"],
    "Maya": ["2025", "2026"],
    "Fusion": ["2.0"],
    "3ds Max": ["2025", "2026"],
    "Civil 3D": ["2025", "2026"],
    "Inventor": ["2025", "2026"],
    "Navisworks Manage": ["2025", "2026"],
}
USE_SHARE = 0.55  # chance that a user of a product uses it on a working day
# Sellers that are not on the platform: Autodesk's own store and a reseller elsewhere.
OFF_PLATFORM_SELLERS = ["5300000001", "5300000002"]

PROFILES = [
    # name, weight
    ("steady", 30),
    ("seasonal", 12),
    ("heavy", 14),
    ("refill_soon", 10),
    ("onboarding", 7),
    ("dormant", 6),
    ("multi_supplier", 10),
    ("expiring", 8),
    ("expired", 3),
]

CUSTOMER_WORDS = [
    ("Acme", "Architects"),
    ("Borealis", "Engineering"),
    ("Cedar", "Design Group"),
    ("Delta", "Structures"),
    ("Elm", "Studio"),
    ("Fjord", "Consulting"),
    ("Granite", "Builders"),
    ("Harbor", "Civil"),
    ("Iris", "Animation"),
    ("Juniper", "Manufacturing"),
    ("Kestrel", "Labs"),
    ("Lumen", "Visuals"),
    ("Meridian", "Planning"),
    ("Nimbus", "Industrial"),
    ("Orion", "Partners"),
    ("Pioneer", "Infrastructure"),
    ("Quarry", "Works"),
    ("Ridge", "Surveying"),
    ("Summit", "Fabrication"),
    ("Tidal", "Media"),
    ("Umber", "Interiors"),
    ("Vertex", "Robotics"),
    ("Willow", "Landscapes"),
    ("Xenon", "Motion"),
    ("Yarrow", "Homes"),
    ("Zephyr", "Aero"),
]
TEAM_SUFFIXES = ["Design", "Engineering", "BIM", "Production", "Visualisation", "R&D", "Site"]


@dataclass
class DemoTeam:
    team_id: str
    name: str
    account_csn: str
    account_name: str
    profile: str
    products: list[str]
    users_by_product: dict[str, list[str]]
    sellers: list[str] = field(default_factory=list)

    @property
    def daily(self) -> float:
        """Expected tokens per working day (the usage model below draws each user with
        probability USE_SHARE per product per working day)."""
        return sum(len(u) * PRODUCTS[p][0] * USE_SHARE for p, u in self.users_by_product.items())

    @property
    def yearly(self) -> float:
        return self.daily * 365 * 5 / 7


@dataclass
class DemoFeeds:
    """The generated feed files, in the order they must be imported."""

    files: list[tuple[str, Path]]
    teams: list[DemoTeam]


def generate(
    directory: Path,
    *,
    partner_csns: list[str],
    teams: int = 300,
    days: int = 395,
    seed: int = 7,
    as_of: date,
) -> DemoFeeds:
    rng = random.Random(seed)
    first_day = as_of - timedelta(days=days)
    demo_teams = _teams(rng, teams, partner_csns)
    purchases, events = _purchases(rng, demo_teams, as_of, first_day)
    files = [
        ("product_rates", _write(directory / "product_rates.csv", _product_rates(first_day))),
        ("teams", _write(directory / "teams.csv", _team_rows(demo_teams))),
        ("purchases", _write(directory / "purchases.csv", purchases)),
        (
            "usage",
            _write_usage(directory / "usage.csv", rng, demo_teams, purchases, first_day, as_of),
        ),
        ("token_events", _write(directory / "token_events.csv", events)),
    ]
    return DemoFeeds(files=files, teams=demo_teams)


# ------------------------------------------------------------------------- catalog


def _product_rates(first_day: date) -> list[dict]:
    return [
        {
            "product": name,
            "tokens_per_day": rate,
            "effective_from": (first_day - timedelta(days=400)).isoformat(),
            "named_user_price": price,
            "currency": "USD",
        }
        for name, (rate, price) in PRODUCTS.items()
    ]


# --------------------------------------------------------------------------- teams


def _teams(rng: random.Random, count: int, partner_csns: list[str]) -> list[DemoTeam]:
    profiles = [name for name, weight in PROFILES for _ in range(weight)]
    result: list[DemoTeam] = []
    account = 0
    while len(result) < count:
        first, second = CUSTOMER_WORDS[account % len(CUSTOMER_WORDS)]
        cycle = account // len(CUSTOMER_WORDS)
        account_name = f"{first} {second}" + (f" {cycle + 1}" if cycle else "")
        account_csn = f"77{account + 1:08d}"
        # Each customer buys from one partner mostly; spread customers over the partners.
        main_seller = partner_csns[account % len(partner_csns)]
        for index in range(rng.choice([1, 1, 2, 2, 3, 4])):
            if len(result) == count:
                break
            profile = rng.choice(profiles)
            aec = rng.random() < 0.6
            products = (
                rng.sample(["AutoCAD", "Revit", "Civil 3D", "Navisworks Manage"], rng.randint(1, 3))
                if aec
                else rng.sample(
                    ["Maya", "3ds Max", "Fusion", "Inventor", "AutoCAD"], rng.randint(1, 3)
                )
            )
            users = [
                f"user{n:02d}@{_slug(account_name)}.example" for n in range(rng.randint(2, 25))
            ]
            users_by_product = {
                product: rng.sample(users, max(1, int(len(users) * rng.uniform(0.3, 0.9))))
                for product in products
            }
            sellers = [main_seller]
            if profile == "multi_supplier":
                # Alternate, so both kinds always show: off the platform, and a rival partner.
                others = [c for c in partner_csns if c != main_seller]
                multi = sum(1 for t in result if t.profile == "multi_supplier")
                pool = OFF_PLATFORM_SELLERS if multi % 2 == 0 or not others else others
                sellers.append(rng.choice(pool))
            result.append(
                DemoTeam(
                    team_id=f"{account_csn[-6:]}{index + 1:02d}-{rng.randrange(16**4):04X}",
                    name=f"{account_name} — {TEAM_SUFFIXES[index % len(TEAM_SUFFIXES)]}",
                    account_csn=account_csn,
                    account_name=account_name,
                    profile="seasonal" if profile == "seasonal" and not aec else profile,
                    products=products,
                    users_by_product=users_by_product,
                    sellers=sellers,
                )
            )
        account += 1
    return result


def _team_rows(teams: list[DemoTeam]) -> list[dict]:
    return [
        {
            "team_id": t.team_id,
            "team_name": t.name,
            "account_csn": t.account_csn,
            "account_name": t.account_name,
            "country": "US",
        }
        for t in teams
    ]


# ------------------------------------------------------------------------- packs


def _round_pack(tokens: float) -> int:
    return max(100, int(round(tokens / 100.0)) * 100)


# Profile -> (days before D the current pack started, target balance rate on D).
PACK_PLAN = {
    "steady": ((60, 200), (0.45, 0.80)),
    "seasonal": ((150, 250), (0.35, 0.70)),
    "heavy": ((280, 340), (0.02, 0.18)),
    "refill_soon": ((240, 290), (0.21, 0.29)),
    "onboarding": ((3, 25), (1.0, 1.0)),
    "dormant": ((150, 250), (0.50, 0.80)),
    "multi_supplier": ((100, 250), (0.40, 0.70)),
    "expiring": ((295, 330), (0.35, 0.60)),
    "expired": ((400, 420), (0.05, 0.25)),
}


def _purchases(
    rng: random.Random, teams: list[DemoTeam], as_of: date, first_day: date
) -> tuple[list[dict], list[dict]]:
    """Packs sized against each team's burn so that its profile shows on D."""
    rows: list[dict] = []

    def pack(team: DemoTeam, seller: str, quantity: int, start: date) -> None:
        rows.append(
            {
                "order_number": f"ORD-{start:%y%m}-{len(rows) + 1:05d}",
                "team_id": team.team_id,
                "seller_csn": seller,
                "quantity": quantity,
                "start_date": start.isoformat(),
                "end_date": "",
                "unit_price": rng.choice(["2.70", "2.85", "3.00", "3.10"]),
                "currency": "USD",
                "discount_pct": rng.choice(["", "", "5", "10"]),
            }
        )

    for team in teams:
        (low, high), (b_low, b_high) = PACK_PLAN[team.profile]
        ago = rng.randint(low, high)
        start = as_of - timedelta(days=ago)
        # Usage only exists from first_day on (shorter histories with --days).
        used_since_start = team.yearly * (as_of - max(start, first_day)).days / 365
        if team.profile in ("onboarding",):
            quantity = team.yearly * rng.uniform(0.9, 1.3)
        else:
            # Sized so that what the team burns since the start leaves the target balance.
            quantity = used_since_start / (1 - rng.uniform(b_low, b_high))
        if team.profile != "onboarding" and start - timedelta(days=1) >= first_day:
            pack(
                team, team.sellers[0], _round_pack(team.yearly * 1.05), start - timedelta(days=365)
            )
        if team.profile == "multi_supplier":
            second = _round_pack(team.yearly * 0.4)
            pack(team, team.sellers[1], second, as_of - timedelta(days=rng.randint(40, 150)))
            quantity = max(quantity - second, team.yearly * 0.3)
        pack(team, team.sellers[0], _round_pack(quantity), start)

    events = _events(rng, teams, rows, as_of)
    return rows, events


def _events(
    rng: random.Random, teams: list[DemoTeam], packs: list[dict], as_of: date
) -> list[dict]:
    """A move of a pack between two teams of one customer, a merge, an adjustment."""
    events: list[dict] = []
    by_account: dict[str, list[DemoTeam]] = {}
    for team in teams:
        by_account.setdefault(team.account_csn, []).append(team)
    siblings = [group for group in by_account.values() if len(group) >= 3]
    if not siblings:
        return events
    group = siblings[0]
    source, target, merged = group[0], group[1], group[2]
    source_packs = [p for p in packs if p["team_id"] == source.team_id]
    if source_packs:
        moved = max(source_packs, key=lambda p: p["start_date"])
        events.append(
            {
                "event_type": "move",
                "date": (as_of - timedelta(days=45)).isoformat(),
                "order_number": moved["order_number"],
                "from_team_id": source.team_id,
                "to_team_id": target.team_id,
                "quantity": "",
                "reason": "Customer reorganised its design teams",
            }
        )
    events.append(
        {
            "event_type": "merge",
            "date": (as_of - timedelta(days=20)).isoformat(),
            "order_number": "",
            "from_team_id": merged.team_id,
            "to_team_id": target.team_id,
            "quantity": "",
            "reason": "Teams consolidated",
        }
    )
    adjusted_on = as_of - timedelta(days=10)
    adjusted = next(
        (
            p
            for p in reversed(packs)
            if date.fromisoformat(p["start_date"]) <= adjusted_on
            and default_end_date(date.fromisoformat(p["start_date"])) >= adjusted_on
            and p["team_id"] not in {source.team_id, target.team_id, merged.team_id}
        ),
        None,
    )
    if adjusted:
        events.append(
            {
                "event_type": "adjustment",
                "date": adjusted_on.isoformat(),
                "order_number": adjusted["order_number"],
                "from_team_id": "",
                "to_team_id": "",
                "quantity": 250,
                "reason": "Goodwill credit for a service outage",
            }
        )
    return events


# ------------------------------------------------------------------------- usage


def _write_usage(
    path: Path,
    rng: random.Random,
    teams: list[DemoTeam],
    purchases: list[dict],
    first_day: date,
    as_of: date,
) -> Path:
    """Autodesk's usage export (Title-case headers), one row per user, product and day."""
    starts: dict[str, list[date]] = {}
    for row in purchases:
        starts.setdefault(row["team_id"], []).append(date.fromisoformat(row["start_date"]))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Day used", "Team", "Product", "Version", "Email", "Tokens used"])
        for team in teams:
            if team.profile == "onboarding":
                continue  # bought, not yet started
            day = max(min(starts[team.team_id]), first_day)
            stop = as_of - timedelta(days=1)
            if team.profile == "dormant":
                stop = as_of - timedelta(days=rng.randint(45, 90))
            if team.profile == "expired":
                stop = default_end_date(max(starts[team.team_id]))
            while day <= stop:
                if day.weekday() < 5:
                    share = USE_SHARE
                    if team.profile == "seasonal":  # AEC summer peak
                        share *= 1.6 if day.month in (6, 7, 8) else 0.8
                    for product, users in team.users_by_product.items():
                        rate = PRODUCTS[product][0]
                        for user in users:
                            if rng.random() < share:
                                version = rng.choice(VERSIONS[product])
                                writer.writerow(
                                    [day.isoformat(), team.team_id, product, version, user, rate]
                                )
                day += timedelta(days=1)
    return path


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as handle:
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path
