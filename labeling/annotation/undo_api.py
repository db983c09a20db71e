"""Undo of a skip or a flag: the annotation screen's "Undo last" beside a judgment's undo."""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.annotation.api import _comparison_out
from labeling.annotation.shapes import ComparisonOut
from labeling.annotation.undo import comparison_unskip, flag_withdraw
from labeling.models import FlagReason


class UnskipInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=FlagReason.choices, allow_blank=True, required=False, default="",
        help_text="The reason the skip was flagged with: that flag is withdrawn too.",
    )


class ComparisonUnskipView(APIView):
    @extend_schema(request=UnskipInputSerializer, responses=ComparisonOut)
    def post(self, request, comparison_id: int):
        serializer = UnskipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comparison = comparison_unskip(annotator=request.user, comparison_id=comparison_id, **serializer.validated_data)
        return Response(_comparison_out(comparison))


class FlagWithdrawView(APIView):
    @extend_schema(request=None, responses={204: OpenApiResponse(description="The flag is gone.")})
    def post(self, request, flag_id: int):
        flag_withdraw(annotator=request.user, flag_id=flag_id)
        return Response(status=204)


urlpatterns = [
    path("comparisons/<int:comparison_id>/unskip/", ComparisonUnskipView.as_view(), name="comparison-unskip"),
    path("flags/<int:flag_id>/withdraw/", FlagWithdrawView.as_view(), name="flag-withdraw"),
]
