"""`GET teams/{team}/<report>/`: one computed report of a linked team for a range.

The plumbing the team reports share (the advisor of flex, the audit of usage): the team
from the path through the caller's links (404 otherwise), the range from the query string
(a bad one is a 400 naming the parameter), the serializer as the 200 response, and the
OpenAPI description of all of it. A report names only what it computes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from spp.api.schema import response_example
from teams.models import Team
from usage.api.views import (
    RANGE_PARAMETERS,
    TEAM_PATH,
    TeamUsageAPIMixin,
    _usage_errors,
    parse_range,
)
from usage.ranges import DateRange


class TeamReportView(TeamUsageAPIMixin, APIView):
    """report(team, range) -> the data `serializer_class` renders."""

    serializer_class: type[serializers.Serializer]

    def date_range(self, params: Mapping[str, str]) -> DateRange:
        """`range=` or `start=&end=` (default: the past 30 days)."""
        return parse_range(params)

    def report(self, team: Team, rng: DateRange) -> Any:
        raise NotImplementedError

    def get(self, request: Request, team: str) -> Response:
        found = self.usage_team()
        data = self.report(found, self.date_range(request.query_params))
        return Response(self.serializer_class(data).data)


def team_report_schema(
    *, summary: str, description: str, example: tuple[str, Any], tag: str
) -> Callable[[type[TeamReportView]], type[TeamReportView]]:
    """@extend_schema of a TeamReportView: the team and range parameters, its serializer
    with the example (name, value) as the 200 response, and a usage call's errors."""

    def decorate(view: type[TeamReportView]) -> type[TeamReportView]:
        return extend_schema(
            summary=summary,
            description=description,
            parameters=[TEAM_PATH, *RANGE_PARAMETERS],
            responses={200: view.serializer_class, **_usage_errors()},
            examples=[response_example(*example)],
            tags=[tag],
        )(view)

    return decorate
