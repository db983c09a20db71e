"""Project statistics: the cached payload, never computed on the request.

Members of the project may read it; annotators get only their own annotator row and no
model ratings, since they judge blind (see ``labeling.stats.selectors.project_stats_for_viewer``).
``labeling.stats.services`` computes the payload and caches it as JSON; the response is that
payload rendered by ``ProjectStatsSerializer``, so the body holds exactly the fields documented
here (a field the computation adds appears only once it is described below).
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.access import access_project, is_project_admin
from labeling.stats.selectors import project_stats_for_viewer
from labeling.stats.services import project_stats_nudge


def _number(**kwargs):
    return serializers.FloatField(allow_null=True, **kwargs)


class RatingRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    rating = serializers.FloatField()
    ci_low = _number(help_text="2.5th percentile of the bootstrap; null for online Elo.")
    ci_high = _number(help_text="97.5th percentile of the bootstrap; null for online Elo.")
    rank = serializers.IntegerField(help_text="1 + models whose ci_low is above this one's ci_high.")
    n = serializers.IntegerField(help_text="Judgments (or implied pairs) the model appears in.")


class LeaderboardRowSerializer(RatingRowSerializer):
    rating = _number(help_text="Null for a model the data cannot rate (see unrated).")
    rank = serializers.IntegerField(
        allow_null=True,
        help_text="1 + models clearly above: whose ci_low is above this one's ci_high, and the unrated models above "
                  "every rated one. Null for a model apart.",
    )
    unrated = serializers.ChoiceField(
        choices=["above", "below", "apart"], allow_null=True, required=False,
        help_text="Null for a rated model. Otherwise why no rating exists (the likelihood has no maximum): 'above', "
                  "it never lost (nor tied) against the rated models; 'below', it never won (nor tied) against them; "
                  "'apart', no result connects it to them. An interval end is null where resamples leave it unbounded.",
    )


class LengthControlledRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    rating = serializers.FloatField()
    n = serializers.IntegerField(help_text="Judgments (or implied pairs) the model appears in, as in bradley_terry.")


class LengthControlledSerializer(serializers.Serializer):
    rows = LengthControlledRowSerializer(many=True)
    length_coef = _number(help_text="Log-odds of winning per unit of (len_a - len_b) / (len_a + len_b).")
    length_coef_se = _number(
        required=False,
        help_text="Its standard error (observed information); null where the data cannot tell length from the "
                  "models (each model's responses all longer, or length alone separating the outcomes).",
    )


class WinRateSerializer(serializers.Serializer):
    models = serializers.ListField(child=serializers.CharField())
    matrix = serializers.ListField(
        child=serializers.ListField(child=_number()),
        help_text="matrix[i][j]: share of points models[i] scored against models[j]; null where they never met.",
    )


class ExcludedSerializer(serializers.Serializer):
    same_model = serializers.IntegerField(help_text="Pairs of two responses by the same named model.")
    no_model = serializers.IntegerField(
        help_text="Pairs naming no model: neither response has a model name (as in HH-RLHF), or a response "
                  "position was not found."
    )


class RatingsSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    excluded = ExcludedSerializer()
    scale = serializers.CharField()
    reason = serializers.CharField(allow_null=True)
    bradley_terry = LeaderboardRowSerializer(
        many=True, help_text="The leaderboard: Bradley-Terry over the models it can rate, 100 bootstrap refits, each "
                             "resampling comparisons with all their judgments.",
    )
    elo = RatingRowSerializer(many=True, help_text="Online Elo (K=4) in judgment order.")
    strength_weighted = RatingRowSerializer(
        many=True, allow_null=True,
        help_text="Bradley-Terry counting a preference of strength s as s games (Arena-Hard): the fit alone, "
                  "no interval, over the judgments with a strength (imported labels have none) between the models "
                  "the leaderboard rates that these still connect. Null without a strength scale or such judgments.",
    )
    length_controlled = LengthControlledSerializer()
    win_rate = WinRateSerializer()
    labels = serializers.ChoiceField(  # not required: payloads cached before judges lack it
        choices=["human"], required=False,
        help_text="Whose verdicts the ratings count: human (imported labels included); judges' never do.",
    )


class AgreementFiguresSerializer(serializers.Serializer):
    unit = serializers.ChoiceField(choices=["comparison", "implied pair"])
    n_units = serializers.IntegerField(help_text="Units with two or more ratings.")
    n_raters = serializers.IntegerField()
    n_ratings = serializers.IntegerField()
    krippendorff_alpha = _number(help_text="Nominal: a, tie and b as categories.")
    krippendorff_alpha_ci = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True)
    krippendorff_alpha_ordinal = _number(help_text="On the signed strength score -S..S (a tie 0), of the judgments "
                                                   "with a strength: imported labels carry none and are left out. "
                                                   "Null with a reason when no judgment has one.")
    krippendorff_alpha_interval = _number(help_text="As krippendorff_alpha_ordinal, the scores as intervals.")
    fleiss_kappa = _number()
    fleiss_units = serializers.IntegerField()
    fleiss_ratings_per_unit = serializers.IntegerField()
    cohen_kappa_mean = _number(help_text="Cohen's kappa of every pair of annotators who judged a unit in common, "
                                         "averaged with the units each pair shares as weights.")
    percent_agreement = _number()
    reason = serializers.CharField(allow_null=True, help_text="Why all figures are null, e.g. 'only one annotator'.")
    reasons = serializers.DictField(child=serializers.CharField(), help_text="Why each null figure is null.")


class AgreementSerializer(AgreementFiguresSerializer):
    criteria = serializers.DictField(child=AgreementFiguresSerializer(), help_text="The same figures per criterion.")


class AnnotatorRowSerializer(serializers.Serializer):
    username = serializers.CharField()
    annotator = serializers.IntegerField()
    n = serializers.IntegerField()
    n_agreement = serializers.IntegerField()
    n_gold = serializers.IntegerField()
    agreement = _number(help_text="Share agreeing with the leave-one-out majority (on the winner; in a ranking "
                                  "project on the response ranked first, or the set of responses tied first).")
    gold_accuracy = _number(help_text="Share of their verdicts on gold comparisons that match the gold answer: its "
                                      "winner, or in a ranking project its first response (a ranking tying the top "
                                      "never matches).")
    median_seconds = _number()
    tie_rate = _number(help_text="Share of their judgments holding a tie (a ranking: any positions ranked equal); "
                                 "null in a ranking project without ties.")
    skip_rate = _number()
    flag_rate = _number()
    e_value = serializers.FloatField()
    outlier = serializers.BooleanField()
    fast_rate = _number(help_text="Share of timed judgments given faster than the responses can be skimmed.")
    fastest_seconds = _number()
    too_fast = serializers.BooleanField(help_text="At least a quarter of 10 or more timed judgments implausibly fast.")
    reliability = _number(help_text="Dawid–Skene estimate of the share of their verdicts that equal the true one (a, "
                          "b or tie; a ranking's implied pairs), fitted on comparisons others judged too. Null with "
                          "fewer than 5 such judgments or a single annotator.")


class ShareSerializer(serializers.Serializer):
    share = _number(help_text="Null when n is 0.")
    ci = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True,
                               help_text="95% Wilson interval.")
    n = serializers.IntegerField(help_text="Decisive verdicts counted.")


class BiasSerializer(serializers.Serializer):
    judge = ShareSerializer()
    humans = ShareSerializer(help_text="The humans' verdicts on the comparisons the judge labelled.")


class JudgeFiguresSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Verdicts compared.")
    raw = _number(help_text="Share of verdicts equal to the reference (a, tie, b).")
    raw_ci = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True,
                                   help_text="95% Wilson interval.")
    kappa = _number(help_text="Cohen's kappa against the reference.")
    kappa_ci = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True,
                                     help_text="95% bootstrap interval (units resampled, 1000 rounds).")
    reason = serializers.CharField(allow_null=True, help_text="Why the figures are null.")


class JudgeAgreementSerializer(JudgeFiguresSerializer):
    human_ceiling = JudgeFiguresSerializer(
        help_text="The humans' own agreement on the comparisons the judge labelled: each human verdict against "
                  "the majority of the other humans. A judge is not expected to beat it."
    )


class JudgeAgreementWithCriteriaSerializer(JudgeAgreementSerializer):
    criteria = serializers.DictField(child=JudgeAgreementSerializer(), help_text="The same figures per criterion.")


class JudgeSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="reward_model, causal_lm or endpoint.")
    annotator = serializers.IntegerField(help_text="The judge's user: its judgments are stored under it.")
    count = serializers.IntegerField(help_text="Its judgments (not rejected).")
    agreement_with_humans = JudgeAgreementWithCriteriaSerializer(
        help_text="The judge's verdict against the human majority of each comparison (implied pair for rankings) "
                  "it labelled, regular comparisons only; comparisons whose human verdicts tie at the top are "
                  "left out. Humans: every other annotator, imported labels included."
    )
    position_bias = BiasSerializer(help_text="Share of decisive verdicts for the earlier position (A of a pair).")
    length_bias = BiasSerializer(help_text="Share of decisive verdicts on responses of different lengths that went "
                                           "to the longer one.")


class CountsSerializer(serializers.Serializer):
    comparisons = serializers.IntegerField(help_text="All comparisons, gold included.")
    gold_comparisons = serializers.IntegerField()
    judgments = serializers.IntegerField(
        help_text="People's judgments, imported ones included, one giving criterion verdicts alone too (as the "
                  "overview and judgment_count count them; the main verdict's figures leave it out); not judges' "
                  "(judge_judgments) nor those rejected in review."
    )
    judged_comparisons = serializers.IntegerField(help_text="Comparisons with at least one judgment.")
    complete_comparisons = serializers.IntegerField(help_text="Regular comparisons with `overlap` judgments or more.")
    ties = serializers.IntegerField(help_text="Judgments holding a tie: a pairwise tie, or a ranking with positions "
                                              "ranked equal (main verdict only).")
    skips = serializers.IntegerField()
    flags = serializers.IntegerField()
    annotators = serializers.IntegerField(help_text="Distinct annotators who judged, imports not counted.")
    imported_judgments = serializers.IntegerField(help_text="Judgments that came with an import (imported labels).")
    judge_judgments = serializers.IntegerField(  # not required: payloads cached before judges lack it
        required=False,
        help_text="Judgments by judges (models labelling comparisons): counted in `judges` only, not in the rest."
    )


def _seconds(help_text: str):
    return serializers.FloatField(help_text=f"Seconds spent {help_text}.")


class SecondsSerializer(serializers.Serializer):
    read = _seconds("reading the judgments from the database")
    agreement = _seconds("on the agreement figures")
    annotators = _seconds("on the annotator rows")
    ratings = _seconds("fitting the model ratings")
    judges = serializers.FloatField(required=False, help_text="Seconds spent measuring the judges against the humans.")
    total = _seconds("in all")


class ProjectStatsSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    task_type = serializers.CharField()
    computed_at = serializers.DateTimeField(help_text="When the data was read.")
    judgments = serializers.IntegerField(help_text="Judgments read (the watermark): judges' included, rejected ones not.")
    last_judgment_id = serializers.IntegerField()
    stale = serializers.BooleanField(help_text="Judgments changed since; a refresh is on its way.")
    counts = CountsSerializer()
    agreement = AgreementSerializer()
    annotators = AnnotatorRowSerializer(
        many=True, help_text="People only (judges are under `judges`): everyone for project admins; annotators get "
                             "their own row.",
    )
    ratings = RatingsSerializer(
        required=False, help_text="Project admins only: annotators judge blind, so they never see model names or ratings."
    )
    judges = JudgeSerializer(
        many=True, required=False,
        help_text="Project admins only: each judge (a model labelling comparisons) against the humans, by name. "
                  "Judges' judgments count here only: never in agreement, annotators, counts or ratings.",
    )
    seconds = SecondsSerializer(help_text="Time the computation took, by part.")


class StatsPendingSerializer(serializers.Serializer):
    detail = serializers.CharField()
    stale = serializers.BooleanField()


PENDING = {"detail": "statistics are being computed; ask again in a few seconds", "stale": True}


class ProjectStatsView(APIView):
    @extend_schema(responses={200: ProjectStatsSerializer, 202: StatsPendingSerializer})
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id)
        payload = project_stats_for_viewer(project=project, user=request.user, admin=is_project_admin(request.user, project))
        if payload is None or payload["stale"]:
            project_stats_nudge(project)  # only sends a refresh if none is cached or one looks lost
        if payload is None:
            return Response(StatsPendingSerializer(PENDING).data, status=status.HTTP_202_ACCEPTED)
        return Response(ProjectStatsSerializer(payload).data)


urlpatterns = [
    path("projects/<int:project_id>/stats/", ProjectStatsView.as_view(), name="project-stats"),
]
