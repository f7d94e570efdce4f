"""Keyset pagination over the change sequence: the incremental sync every list endpoint offers.

Rows come in (change_seq, id) order, only below the change horizon (units/changes.py), so a row
committed late can never land behind a cursor already handed out. The response always carries
`cursor`, the position to resume from: a platform stores it and asks again in a few minutes;
rows changed since then come after it (a changed row comes again, with its new content).
"""

import base64
import binascii

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from units.changes import change_horizon

# A position after every id: "the whole of change_seq s has been read".
END_OF_SEQ = 2**63 - 1


def encode_cursor(seq: int, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{seq}.{pk}".encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        seq, pk = (int(part) for part in raw.split("."))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError(
            {"cursor": "cursor 无效：请使用上一次响应中的 cursor 原样传回"}
        ) from None
    if seq < 0 or pk < 0:
        raise ValidationError({"cursor": "cursor 无效"})
    return seq, pk


class ChangeFeedPagination(BasePagination):
    page_size = 100
    max_page_size = 500
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": "page_size 须为整数"}) from None
        return max(1, min(size, self.max_page_size))

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        position = decode_cursor(raw) if raw else None
        horizon = change_horizon()
        if horizon is not None:
            queryset = queryset.filter(horizon.settled())
        if position is not None:
            seq, pk = position
            queryset = queryset.filter(Q(change_seq__gt=seq) | Q(change_seq=seq, pk__gt=pk))
        rows = list(queryset.order_by("change_seq", "pk")[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        if rows:
            position = (rows[-1].change_seq, rows[-1].pk)
        if not self.has_more and horizon is not None:
            # Everything below the horizon is read, and nothing can ever appear there again.
            position = max(position or (0, 0), (horizon.below - 1, END_OF_SEQ))
        self.cursor = encode_cursor(*position) if position else None
        return rows

    def get_paginated_response(self, data):
        next_url = None
        if self.has_more:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), self.cursor_query_param, self.cursor
            )
        return Response(
            {"results": data, "cursor": self.cursor, "has_more": self.has_more, "next": next_url}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "cursor", "has_more"],
            "properties": {
                "results": schema,
                "cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": "下次从这里继续：原样作为 ?cursor= 传回。为空表示尚无数据。",
                },
                "has_more": {
                    "type": "boolean",
                    "description": "true：立即用 next 取下一页；false：已取完，稍后用 cursor 再取",
                },
                "next": {"type": "string", "format": "uri", "nullable": True},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "上一次响应中的 cursor；不传则从头开始",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"每页条数，默认 {self.page_size}，最多 {self.max_page_size}",
                "schema": {"type": "integer"},
            },
        ]
