"""SLOs become recording rules and multiwindow, multi-burn-rate alerts (the SRE Workbook's), which promtool
accepts; bad definitions are refused naming the field."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from console.errors import UsageProblem
from console.rules import slo
from console.rules.promtool import check_text

SHIPPED = Path(__file__).parents[2] / "rules" / "slo"


def payments(**fields) -> slo.Slo:
    return slo.Slo(**{"name": "payments-availability", "service": "payments", "objective": 99.5, **fields})


def rules_of(definition: slo.Slo, **options) -> dict[str, dict]:
    return {r.get("record") or (r["alert"], r["labels"]["severity"]): r
            for r in slo.group(definition, **options)["rules"]}


def test_it_records_the_error_ratio_over_every_window_the_alerts_read():
    rules = rules_of(payments())
    recorded = [name for name in rules if isinstance(name, str)]
    assert recorded == [f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "6h", "3d")]
    one_hour = rules["slo:sli_error:ratio_rate1h"]
    assert one_hour["expr"] == ('1 - (sum(rate(http_requests_total{service="payments",status!~"5.."}[1h])))'
                                ' / (sum(rate(http_requests_total{service="payments"}[1h])))')
    assert one_hour["labels"] == {"slo": "payments-availability", "service": "payments"}


def test_it_pages_on_fast_burns_and_tickets_slow_ones_at_the_workbooks_factors():
    rules = rules_of(payments())
    page = rules[("ErrorBudgetFastBurn", "page")]["expr"]
    assert ('slo:sli_error:ratio_rate1h{slo="payments-availability"} > (14.4 * 0.005) and '
            'slo:sli_error:ratio_rate5m{slo="payments-availability"} > (14.4 * 0.005)') in page
    assert ('slo:sli_error:ratio_rate6h{slo="payments-availability"} > (6 * 0.005) and '
            'slo:sli_error:ratio_rate30m{slo="payments-availability"} > (6 * 0.005)') in page
    ticket = rules[("ErrorBudgetSlowBurn", "ticket")]["expr"]
    assert ticket == ('(slo:sli_error:ratio_rate3d{slo="payments-availability"} > (1 * 0.005) and '
                      'slo:sli_error:ratio_rate6h{slo="payments-availability"} > (1 * 0.005))')


def test_scaling_shrinks_every_window_alike():
    rules = rules_of(payments(), scale=1 / 30)
    assert [n for n in rules if isinstance(n, str)] == [
        f"slo:sli_error:ratio_rate{w}" for w in ("10s", "1m", "2m", "12m", "2h24m")]
    assert "ratio_rate2m{" in rules[("ErrorBudgetFastBurn", "page")]["expr"]
    with pytest.raises(ValueError, match="scale"):
        slo.group(payments(), scale=2)


def test_it_takes_good_and_total_events_of_its_own():
    rules = rules_of(payments(good='sum(rate(checkouts_total{result="ok"}[$window]))',
                              total="sum(rate(checkouts_total[$window]))", labels={"team": "shop"}))
    five = rules["slo:sli_error:ratio_rate5m"]
    assert five["expr"] == '1 - (sum(rate(checkouts_total{result="ok"}[5m]))) / (sum(rate(checkouts_total[5m])))'
    assert five["labels"] == {"slo": "payments-availability", "service": "payments", "team": "shop"}


@pytest.mark.parametrize("fields, message", [
    ({"objective": 100}, "objective"),
    ({"objective": 0}, "objective"),
    ({"name": "Payments SLO"}, "name"),
    ({"window": "30 days"}, "window"),
    ({"window": "10m"}, "between 1h and 366d"),
    ({"good": "sum(rate(ok_total[$window]))"}, "both good and total"),
    ({"good": "sum(rate(ok_total[5m]))", "total": "sum(rate(all_total[$window]))"}, "must contain \\$window"),
    ({"labels": {"severity": "low"}}, "other than slo, service and severity"),
    ({"service": 'pay"ments'}, "service"),
])
def test_it_refuses_a_bad_definition_naming_the_field(fields, message):
    text = yaml.safe_dump({"slos": [{"name": "payments-availability", "service": "payments", "objective": 99.5,
                                     **fields}]})
    with pytest.raises(UsageProblem, match=message):
        slo.parse_slos(text, source="slo.yml")


def test_it_refuses_an_slo_defined_twice():
    entry = {"name": "a", "service": "payments", "objective": 99}
    with pytest.raises(UsageProblem, match="'a' is defined twice"):
        slo.parse_slos(yaml.safe_dump({"slos": [entry, entry]}))


def test_the_shipped_slos_pass_promtool_at_full_and_at_test_scale():
    definitions = [s for path in sorted(SHIPPED.glob("*.yml")) for s in slo.parse_slos(path.read_text(), source=str(path))]
    assert definitions
    for scale in (1.0, 1 / 30):
        for name, text in slo.files(definitions, scale=scale).items():
            assert name.startswith(slo.FILE_PREFIX)
            assert check_text(text) == [], text


def test_it_names_each_file_and_the_rules_prometheus_will_list_from_it():
    expected = slo.expected_rules([payments()])
    assert list(expected) == ["opsconsole_slo-payments-availability.yml"]
    assert expected["opsconsole_slo-payments-availability.yml"][-2:] == ["ErrorBudgetFastBurn", "ErrorBudgetSlowBurn"]


def test_its_status_says_the_sli_the_budget_left_and_the_burn_rates():
    readings = {"30d": 0.002, "1h": 0.1, "5m": 0.0, "6h": float("nan")}
    status = slo.status(payments(), readings, firing=("ErrorBudgetFastBurn",))
    assert status.sli == pytest.approx(0.998)
    assert status.budget_left == pytest.approx(0.6)  # 0.2 % of 0.5 % spent
    assert status.burn_rates() == {"5m": 0.0, "30m": None, "1h": pytest.approx(20.0), "6h": None, "3d": None}
    assert status.firing == ("ErrorBudgetFastBurn",)


def test_an_overspent_budget_goes_below_zero_and_no_events_say_nothing():
    assert slo.status(payments(), {"30d": 0.01}).budget_left == pytest.approx(-1.0)
    quiet = slo.status(payments(), {})
    assert (quiet.sli, quiet.budget_left) == (None, None)


def test_the_error_ratio_over_the_window_comes_straight_from_the_events():
    assert slo.error_ratio_query(payments(), "30d") == (
        '1 - (sum(rate(http_requests_total{service="payments",status!~"5.."}[30d])))'
        ' / (sum(rate(http_requests_total{service="payments"}[30d])))')
