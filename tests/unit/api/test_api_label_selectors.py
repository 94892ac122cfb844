"""Label selector grammar, matching, canonical text and metav1.LabelSelector conversion."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from shoal.api import BadRequestError, InvalidError, LabelSelector, error_from_status

LABELS = {"app": "web", "tier": "front", "example.com/team": "a-b", "empty": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("app!=web", False),
        ("missing!=x", True),
        ("app in (web,db)", True),
        ("app in (db)", False),
        ("missing in (x)", False),
        ("app notin (db,cache)", True),
        ("app notin (web)", False),
        ("missing notin (x)", True),
        ("app", True),
        ("missing", False),
        ("!missing", True),
        ("!app", False),
        ("app=web,tier=front", True),
        ("app=web,tier=back", False),
        ("  app = web ,  tier  in ( front , back )  ", True),
        ("example.com/team=a-b", True),
        ("empty=", True),
        ("empty in ()", True),
        ("app in ()", False),
        ("app in (,web)", True),
        ("in=x", False),
        ("app=in", False),
    ],
)
def test_parse_and_match(text: str, expected: bool) -> None:
    assert LabelSelector.parse(text).matches(LABELS) is expected


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("n>3", {"n": "4"}, True),
        ("n>3", {"n": "3"}, False),
        ("n<3", {"n": "-1"}, True),
        ("n<3", {"n": "x"}, False),
        ("n<3", {}, False),
    ],
)
def test_numeric_comparisons(text: str, labels: dict[str, str], expected: bool) -> None:
    assert LabelSelector.parse(text).matches(labels) is expected


@pytest.mark.parametrize(
    "text",
    [
        "app=",  # valid: empty value
        "app==",
        "a in (x,y),!b,c!=d,e",
    ],
)
def test_valid_texts_parse(text: str) -> None:
    LabelSelector.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "app in",
        "app in x",
        "app in (x",
        "app in (x y)",
        "app notin (x,(",
        "=x",
        "app=x,",
        "app=x,,b",
        "app=a=b",
        "app=x y",
        "!app=x",
        "app=(x)",
        "a b",
        "bad key=x",
        "-bad=x",
        "app=-x",
        "app=" + "v" * 64,
        "a/b/c=x",
        "n>x",
        ")",
    ],
)
def test_malformed_raises_bad_request(text: str) -> None:
    with pytest.raises(BadRequestError) as info:
        LabelSelector.parse(text)
    err = info.value
    assert err.code == 400
    assert text in err.message
    assert err.fields == ["labelSelector"]
    again = error_from_status(err.status())
    assert isinstance(again, BadRequestError)
    assert again.fields == ["labelSelector"]
    assert again.message == err.message


def test_canonical_text_and_equality() -> None:
    sel = LabelSelector.parse("z notin (b, a), a==1, !q, k")
    assert str(sel) == "a=1,k,!q,z notin (a,b)"
    assert LabelSelector.parse(str(sel)) == sel
    assert hash(LabelSelector.parse(str(sel))) == hash(sel)


def test_everything_and_empty() -> None:
    assert LabelSelector.everything().empty
    assert LabelSelector.parse("  ").empty
    assert LabelSelector.everything().matches({})
    assert LabelSelector.everything().matches(None)
    assert not LabelSelector.parse("a").empty
    assert str(LabelSelector.everything()) == ""


def test_from_json() -> None:
    sel = LabelSelector.from_json(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "back"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    assert sel.matches({"app": "web", "tier": "front", "team": "x"})
    assert not sel.matches({"app": "web", "tier": "front", "team": "x", "legacy": "1"})
    assert not sel.matches({"app": "web", "tier": "front", "team": "x", "env": "prod"})
    assert not sel.matches({"app": "web", "tier": "front"})
    assert LabelSelector.from_json({}).empty
    assert LabelSelector.from_json(None).empty
    assert LabelSelector.from_json(sel.to_json()) == sel


def test_from_json_invalid_names_fields() -> None:
    with pytest.raises(InvalidError) as info:
        LabelSelector.from_json(
            {
                "matchLabels": {"bad key": "v"},
                "matchExpressions": [
                    {"key": "a", "operator": "In"},
                    {"key": "b", "operator": "Exists", "values": ["x"]},
                    {"key": "c", "operator": "Gt", "values": ["1"]},
                    {"key": "d", "operator": "In", "values": ["-bad"]},
                ],
            },
            field="spec.selector",
        )
    err = info.value
    assert err.code == 422
    assert err.fields == [
        "spec.selector.matchLabels",
        "spec.selector.matchExpressions[0].values",
        "spec.selector.matchExpressions[1].values",
        "spec.selector.matchExpressions[2].operator",
        "spec.selector.matchExpressions[3].values[0]",
    ]
    assert [c.reason for c in err.causes] == [
        "FieldValueInvalid",
        "FieldValueRequired",
        "FieldValueForbidden",
        "FieldValueNotSupported",
        "FieldValueInvalid",
    ]
    assert err.causes[0].message.startswith('Invalid value: "bad key": name part must consist of')
    again = error_from_status(err.status())
    assert isinstance(again, InvalidError)
    assert again.causes == err.causes


# Hypothesis: canonical text round-trips and matches identically.

_names = st.sampled_from(["a", "b", "app", "x.y/z", "k-1"])
_values = st.sampled_from(["", "v", "w", "1", "a.b", "Z_9"])


@st.composite
def _requirement_text(draw: st.DrawFn) -> str:
    key = draw(_names)
    op = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!", ">", "<"]))
    if op == "exists":
        return key
    if op == "!":
        return f"!{key}"
    if op in ("in", "notin"):
        values = draw(st.lists(_values, max_size=3))
        return f"{key} {op} ({','.join(values)})"
    if op in (">", "<"):
        return f"{key}{op}{draw(st.integers(-5, 5))}"
    return f"{key}{op}{draw(_values)}"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_requirement_text(), max_size=4),
    st.dictionaries(_names, st.sampled_from(["", "v", "w", "1", "3", "a.b", "Z_9"]), max_size=5),
)
def test_round_trip_matches_identically(reqs: list[str], labels: dict[str, str]) -> None:
    sel = LabelSelector.parse(",".join(reqs))
    again = LabelSelector.parse(str(sel))
    assert again == sel
    assert str(again) == str(sel)
    assert again.matches(labels) == sel.matches(labels)
    assert sel.matches(labels) == all(r.matches(labels) for r in sel.requirements)
