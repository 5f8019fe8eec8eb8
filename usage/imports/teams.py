"""teams: team_id, team_name, account_csn, account_name, country -> teams.Account (by CSN)
and teams.Team (by team id), created or updated (name, account, country)."""

from __future__ import annotations

from dataclasses import dataclass

from usage.imports import values as v
from usage.imports.common import MAINT, RowCheck, all_or_nothing, differences, read_rows
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("team_id"),
    Column("team_name"),
    Column("account_csn"),
    Column("account_name"),
    Column("country"),
)


@dataclass(frozen=True)
class TeamRecord:
    line: int
    team_id: str
    team_name: str
    account_csn: str
    account_name: str
    country: str

    def team_data(self) -> dict:
        return {"name": self.team_name, "account": self.account_csn, "country": self.country}


def validate(rows: list[Row]) -> tuple[list[TeamRecord], list[RowError]]:
    teams: dict[str, TeamRecord] = {}
    accounts: dict[str, TeamRecord] = {}  # account CSN -> the first row naming it
    errors: list[RowError] = []
    for row in rows:
        check = RowCheck(row)
        team_id = check(v.required, "team_id")
        if team_id is not None:
            check(v.max_length, "team_id", 64)
        name = check(v.required, "team_name")
        if name is not None:
            check(v.max_length, "team_name", 200)
        account_csn = check(v.required, "account_csn")
        if account_csn is not None:
            check(v.max_length, "account_csn", 20)
        account_name = check(v.required, "account_name")
        if account_name is not None:
            check(v.max_length, "account_name", 200)
        country = check(v.parse_country, "country")
        if check.ok:
            record = TeamRecord(row.line, team_id, name, account_csn, account_name, country)
            first_account = accounts.setdefault(account_csn, record)
            if first_account.account_name != account_name:
                check.fail(
                    f"account {account_csn} is named {first_account.account_name!r} on line "
                    f"{first_account.line} and {account_name!r} here"
                )
            first = teams.get(team_id)
            if first is None:
                teams[team_id] = record
            elif first.team_data() != record.team_data():
                diff = ", ".join(differences(first.team_data(), record.team_data()))
                check.fail(
                    f"team {team_id} appears again (line {first.line}) with other data: {diff}"
                )
        errors.extend(check.errors)
    return list(teams.values()), errors


def run(table: Table, report: ImportReport) -> set[int]:
    validated = validate(read_rows(table, COLUMNS))
    # Names and accounts do not change any Flex figure: no team to recompute.
    return all_or_nothing(report, validated, lambda records: write(records, report))


def write(records: list[TeamRecord], report: ImportReport) -> None:
    from teams.models import Account, Team

    report.touch("account")
    report.touch("team")
    first_rows = {}
    for record in records:
        first_rows.setdefault(record.account_csn, record)
    accounts = {a.csn: a for a in Account.unscoped.using(MAINT).filter(csn__in=list(first_rows))}
    for csn, record in first_rows.items():
        account = accounts.get(csn)
        if account is None:
            # The feed has no account country: the first team's country is the best guess.
            accounts[csn] = Account.unscoped.using(MAINT).create(
                csn=csn, name=record.account_name, country=record.country
            )
            report.count("account", "created")
        elif account.name != record.account_name:
            account.name = record.account_name
            account.save(using=MAINT, update_fields=["name"])
            report.count("account", "updated")
        else:
            report.count("account", "unchanged")

    existing = {
        t.team_id: t
        for t in Team.unscoped.using(MAINT).filter(team_id__in=[r.team_id for r in records])
    }
    new = []
    for record in records:
        account = accounts[record.account_csn]
        team = existing.get(record.team_id)
        if team is None:
            new.append(
                Team(
                    team_id=record.team_id,
                    name=record.team_name,
                    account=account,
                    country=record.country,
                )
            )
            continue
        wanted = {"name": record.team_name, "account_id": account.pk, "country": record.country}
        changed = [f for f, val in wanted.items() if getattr(team, f) != val]
        if changed:
            for field in changed:
                setattr(team, field, wanted[field])
            team.save(using=MAINT, update_fields=changed)
            report.count("team", "updated")
        else:
            report.count("team", "unchanged")
    Team.unscoped.using(MAINT).bulk_create(new, batch_size=2000)
    report.count("team", "created", len(new))
