"""A Feature.yaml converted as text: templates replaced where they stand, everything else kept."""

from __future__ import annotations

import pytest
import yaml

from fasit.migrate import Finding, UnreadableFeatureYaml, convert_feature_yaml

METADATA = (
    "# nais/fasit gave every chart .Values.fasit (tenant and environment names, kind);\n"
    "# keep it, or delete this when the chart does not read them\n"
    "metadataValues: true\n"
)


def test_only_templates_change_comments_and_layout_stay() -> None:
    text = (
        "environmentKinds: [tenant, legacy]  # kinds\n"
        "values:\n"
        "  # the name\n"
        "  a: {computed: {template: '{{ .Env.name }}'}, ignoreKind: [legacy]}\n"
        "  b:\n"
        "    computed:\n"
        "      template: |\n"
        '        {{- if eq .Kind "tenant" }}\n'
        "        x\n"
        "        {{- end }}\n"
        "\n"
        "  c: {config: {type: string}}\n"
    )

    conversion = convert_feature_yaml(text)

    assert conversion.text == (
        "environmentKinds: [tenant, legacy]  # kinds\n" + METADATA + "values:\n"
        "  # the name\n"
        "  a: {computed: {template: '{{ env.name }}'}, ignoreKind: [legacy]}\n"
        "  b:\n"
        "    computed:\n"
        "      template: |\n"
        '        {%- if kind == "tenant" %}\n'
        "        x\n"
        "        {%- endif %}\n"
        "\n"
        "  c: {config: {type: string}}\n"
    )
    assert (conversion.translated, conversion.findings) == (2, ())


def test_a_folded_template_becomes_a_literal_one_so_its_lines_stay_apart() -> None:
    text = (
        "environmentKinds: [tenant]\nvalues:\n  a:\n"
        "    computed:\n      template: >-\n        {{ .Kind }}\n"
    )

    conversion = convert_feature_yaml(text)

    assert conversion.text.endswith("      template: |-\n        {{ kind }}\n")


def test_a_value_with_lines_in_single_quotes_is_written_double_quoted() -> None:
    text = (
        "environmentKinds: [tenant]\nvalues:\n  a: {computed: {template: '{{ .Kind }}\n\n   x'}}\n"
    )

    conversion = convert_feature_yaml(text)

    assert '  a: {computed: {template: "{{ kind }}\\nx"}}\n' in conversion.text
    template = yaml.safe_load(conversion.text)["values"]["a"]["computed"]["template"]
    assert template == "{{ kind }}\nx"


def test_charts_that_set_fasit_values_themselves_get_no_metadata_values() -> None:
    text = "environmentKinds: [tenant]\nvalues:\n  fasit.env: {computed: {template: x}}\n"

    assert convert_feature_yaml(text).text == text


def test_an_untranslatable_template_is_kept_under_a_comment_and_found() -> None:
    text = (
        "metadataValues: false\nenvironmentKinds: [tenant]\nvalues:\n  a:\n"
        "    computed: {template: '{{ uuidv4 }}'}\n"
    )

    conversion = convert_feature_yaml(text)

    assert conversion.text == (
        "metadataValues: false\nenvironmentKinds: [tenant]\nvalues:\n  a:\n"
        "    # fasit migrate: could not translate this template at 1:4: `uuidv4` makes a random"
        " id, and fasit's templates are deterministic: put the value in a config value\n"
        "    computed: {template: '{{ uuidv4 }}'}\n"
    )
    assert conversion.findings == (
        Finding(
            5,
            30,
            "values.a.computed.template: `uuidv4` makes a random id, and fasit's templates are"
            " deterministic: put the value in a config value",
        ),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("values: [unclosed\n", "2:1: ", id="not YAML"),
        pytest.param("- a list\n", "1:1: a Feature.yaml is one YAML mapping", id="a list"),
    ],
)
def test_a_file_that_is_no_yaml_mapping_is_unreadable(text: str, message: str) -> None:
    with pytest.raises(UnreadableFeatureYaml, match="^" + message):
        convert_feature_yaml(text)


def test_a_template_already_in_jinja_is_left_for_a_person() -> None:
    text = (
        "environmentKinds: [tenant]\nvalues:\n"
        "  a: {computed: {template: '{% if x %}1{% endif %}'}}\n"
    )

    conversion = convert_feature_yaml(text)

    assert conversion.findings == (
        Finding(
            3,
            29,
            "values.a.computed.template: holds `{%`, a Jinja tag: converted already? left as it is",
        ),
    )
