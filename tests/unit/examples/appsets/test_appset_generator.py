"""The git directories generator and templating: globs, parameters, bad specs naming their field."""

from __future__ import annotations

import pytest

from shoal.api import InvalidError
from shoal.examples.appsets import (
    application_set_object,
    directory_parameters,
    parse_generators,
    render_application,
)

DIRECTORIES = ["apps", "apps/a", "apps/a/x", "apps/b", "apps/skip", "infra", "infra/c"]


def appset(**kwargs: object) -> dict[str, object]:
    obj = application_set_object("ns", "team", repo_url="https://git/r", directories=["apps/*"], **kwargs)  # type: ignore[arg-type]
    obj["metadata"]["uid"] = "uid-1"  # type: ignore[index]
    return obj


def test_globs_match_one_segment_and_excludes_win() -> None:
    [generator] = parse_generators(appset(excludes=("apps/skip",)))
    assert [p["path"] for p in generator.parameters(DIRECTORIES)] == ["apps/a", "apps/b"]


def test_parameters_of_a_directory() -> None:
    params = directory_parameters("apps/My_Service")
    assert params["path"] == "apps/My_Service"
    assert params["path.basename"] == "My_Service"
    assert params["path.basenameNormalized"] == "my-service"
    assert (params["path[0]"], params["path[1]"]) == ("apps", "My_Service")


def test_rendered_application_is_controlled_by_its_appset() -> None:
    obj = appset()
    app = render_application(obj, directory_parameters("apps/a"))
    assert app["metadata"]["name"] == "a"
    assert app["metadata"]["namespace"] == "ns"
    assert app["spec"]["source"]["path"] == "apps/a"
    [owner] = app["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("ApplicationSet", "uid-1", True)


def test_unknown_placeholder_names_the_template_field() -> None:
    obj = appset(name_template="{{path.nope}}")
    with pytest.raises(InvalidError) as caught:
        render_application(obj, directory_parameters("apps/a"))
    assert [c.field for c in caught.value.causes] == ["spec.template.metadata.name"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"template": {}}, "spec.generators"),
        ({"generators": [{"list": {}}], "template": {}}, "spec.generators[0]"),
        (
            {"generators": [{"git": {"directories": [{"path": "a/*"}]}}], "template": {}},
            "spec.generators[0].git.repoURL",
        ),
        (
            {"generators": [{"git": {"repoURL": "r", "directories": [{}]}}], "template": {}},
            "spec.generators[0].git.directories[0].path",
        ),
        (
            {
                "generators": [
                    {"git": {"repoURL": "r", "directories": [{"path": "a"}], "requeueAfterSeconds": -1}}
                ],
                "template": {},
            },
            "spec.generators[0].git.requeueAfterSeconds",
        ),
        ({"generators": [{"git": {"repoURL": "r", "directories": [{"path": "a"}]}}]}, "spec.template"),
    ],
)
def test_bad_generator_specs_name_the_field(spec: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidError) as caught:
        parse_generators({"metadata": {"name": "bad"}, "spec": spec})
    assert field in [c.field for c in caught.value.causes]
    assert caught.value.code == 422
