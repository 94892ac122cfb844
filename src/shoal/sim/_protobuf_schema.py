"""The protobuf field tables of the kinds kubectl's typed clients write, for the HTTP door's decoder.

A protobuf body carries field numbers, not names, and it does not say which zero values mean "unset".
Each table here maps a message's field numbers (those of the Kubernetes API's wire format, from
``generated.proto`` in k8s.io/api and apimachinery) to the JSON name and the kind of value. The
``keep_zero`` flag says how a wire zero reads in JSON: gogo-protobuf writes every non-pointer scalar,
so a ``0``/``""``/``false`` of an ``omitempty`` field is dropped as Go's JSON would drop it, while
pointer fields (written only when set) and fields without ``omitempty`` keep their zeros. Struct
fields are kept whenever they are on the wire (Go's JSON writes an empty non-pointer struct as
``{}``). Only the fields listed are accepted; any other field number is refused by the decoder.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Value(enum.Enum):
    """How one field's wire value becomes JSON."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    MESSAGE = "message"
    INT_OR_STRING = "IntOrString"
    QUANTITY = "Quantity"
    TIME = "Time"
    FIELDS_V1 = "FieldsV1"
    STRING_MAP = "map<string,string>"
    BYTES_MAP = "map<string,bytes>"
    QUANTITY_MAP = "map<string,Quantity>"


MAPS = frozenset({Value.STRING_MAP, Value.BYTES_MAP, Value.QUANTITY_MAP})


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message: its JSON name, value kind, and whether wire zeros stay in JSON."""

    name: str
    value: Value = Value.STRING
    message: Message | None = None
    repeated: bool = False
    keep_zero: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """A protobuf message: its full name (for errors) and its fields by number."""

    name: str
    fields: dict[int, Field] = field(default_factory=dict)


def _int(name: str, *, keep_zero: bool = False) -> Field:
    return Field(name, Value.INT, keep_zero=keep_zero)


def _bool(name: str, *, keep_zero: bool = False) -> Field:
    return Field(name, Value.BOOL, keep_zero=keep_zero)


def _strings(name: str) -> Field:
    return Field(name, repeated=True)


def _one(name: str, message: Message) -> Field:
    return Field(name, Value.MESSAGE, message)


def _many(name: str, message: Message) -> Field:
    return Field(name, Value.MESSAGE, message, repeated=True)


_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_CORE = "k8s.io.api.core.v1."
_APPS = "k8s.io.api.apps.v1."
_BATCH = "k8s.io.api.batch.v1."

OWNER_REFERENCE = Message(
    _META + "OwnerReference",
    {
        5: Field("apiVersion", keep_zero=True),
        1: Field("kind", keep_zero=True),
        3: Field("name", keep_zero=True),
        4: Field("uid", keep_zero=True),
        6: _bool("controller", keep_zero=True),
        7: _bool("blockOwnerDeletion", keep_zero=True),
    },
)

MANAGED_FIELDS_ENTRY = Message(
    _META + "ManagedFieldsEntry",
    {
        1: Field("manager"),
        2: Field("operation"),
        3: Field("apiVersion"),
        4: Field("time", Value.TIME),
        6: Field("fieldsType"),
        7: Field("fieldsV1", Value.FIELDS_V1),
        8: Field("subresource"),
    },
)

OBJECT_META = Message(
    _META + "ObjectMeta",
    {
        1: Field("name"),
        2: Field("generateName"),
        3: Field("namespace"),
        4: Field("selfLink"),
        5: Field("uid"),
        6: Field("resourceVersion"),
        7: _int("generation"),
        8: Field("creationTimestamp", Value.TIME),
        9: Field("deletionTimestamp", Value.TIME),
        10: _int("deletionGracePeriodSeconds", keep_zero=True),
        11: Field("labels", Value.STRING_MAP),
        12: Field("annotations", Value.STRING_MAP),
        13: _many("ownerReferences", OWNER_REFERENCE),
        14: _strings("finalizers"),
        17: _many("managedFields", MANAGED_FIELDS_ENTRY),
    },
)

LABEL_SELECTOR_REQUIREMENT = Message(
    _META + "LabelSelectorRequirement",
    {1: Field("key", keep_zero=True), 2: Field("operator", keep_zero=True), 3: _strings("values")},
)

LABEL_SELECTOR = Message(
    _META + "LabelSelector",
    {1: Field("matchLabels", Value.STRING_MAP), 2: _many("matchExpressions", LABEL_SELECTOR_REQUIREMENT)},
)

LOCAL_OBJECT_REFERENCE = Message(_CORE + "LocalObjectReference", {1: Field("name")})

OBJECT_REFERENCE = Message(
    _CORE + "ObjectReference",
    {
        1: Field("kind"),
        2: Field("namespace"),
        3: Field("name"),
        4: Field("uid"),
        5: Field("apiVersion"),
        6: Field("resourceVersion"),
        7: Field("fieldPath"),
    },
)

CONTAINER_PORT = Message(
    _CORE + "ContainerPort",
    {
        1: Field("name"),
        2: _int("hostPort"),
        3: _int("containerPort", keep_zero=True),
        4: Field("protocol"),
        5: Field("hostIP"),
    },
)

ENV_VAR = Message(_CORE + "EnvVar", {1: Field("name", keep_zero=True), 2: Field("value")})

RESOURCE_REQUIREMENTS = Message(
    _CORE + "ResourceRequirements",
    {1: Field("limits", Value.QUANTITY_MAP), 2: Field("requests", Value.QUANTITY_MAP)},
)

CONTAINER = Message(
    _CORE + "Container",
    {
        1: Field("name", keep_zero=True),
        2: Field("image"),
        3: _strings("command"),
        4: _strings("args"),
        5: Field("workingDir"),
        6: _many("ports", CONTAINER_PORT),
        7: _many("env", ENV_VAR),
        8: _one("resources", RESOURCE_REQUIREMENTS),
        13: Field("terminationMessagePath"),
        14: Field("imagePullPolicy"),
        16: _bool("stdin"),
        17: _bool("stdinOnce"),
        18: _bool("tty"),
        20: Field("terminationMessagePolicy"),
    },
)

POD_SECURITY_CONTEXT = Message(
    _CORE + "PodSecurityContext",
    {
        2: _int("runAsUser", keep_zero=True),
        3: _bool("runAsNonRoot", keep_zero=True),
        4: Field("supplementalGroups", Value.INT, repeated=True),
        5: _int("fsGroup", keep_zero=True),
        6: _int("runAsGroup", keep_zero=True),
    },
)

POD_SPEC = Message(
    _CORE + "PodSpec",
    {
        2: _many("containers", CONTAINER),
        3: Field("restartPolicy"),
        4: _int("terminationGracePeriodSeconds", keep_zero=True),
        5: _int("activeDeadlineSeconds", keep_zero=True),
        6: Field("dnsPolicy"),
        7: Field("nodeSelector", Value.STRING_MAP),
        8: Field("serviceAccountName"),
        9: Field("serviceAccount"),
        10: Field("nodeName"),
        11: _bool("hostNetwork"),
        12: _bool("hostPID"),
        13: _bool("hostIPC"),
        14: _one("securityContext", POD_SECURITY_CONTEXT),
        15: _many("imagePullSecrets", LOCAL_OBJECT_REFERENCE),
        16: Field("hostname"),
        17: Field("subdomain"),
        19: Field("schedulerName"),
        20: _many("initContainers", CONTAINER),
        21: _bool("automountServiceAccountToken", keep_zero=True),
        24: Field("priorityClassName"),
        25: _int("priority", keep_zero=True),
        27: _bool("shareProcessNamespace", keep_zero=True),
        29: Field("runtimeClassName", keep_zero=True),
        30: _bool("enableServiceLinks", keep_zero=True),
        31: Field("preemptionPolicy", keep_zero=True),
        35: _bool("setHostnameAsFQDN", keep_zero=True),
        37: _bool("hostUsers", keep_zero=True),
    },
)

POD_TEMPLATE_SPEC = Message(
    _CORE + "PodTemplateSpec", {1: _one("metadata", OBJECT_META), 2: _one("spec", POD_SPEC)}
)

ROLLING_UPDATE_DEPLOYMENT = Message(
    _APPS + "RollingUpdateDeployment",
    {1: Field("maxUnavailable", Value.INT_OR_STRING), 2: Field("maxSurge", Value.INT_OR_STRING)},
)

DEPLOYMENT_STRATEGY = Message(
    _APPS + "DeploymentStrategy", {1: Field("type"), 2: _one("rollingUpdate", ROLLING_UPDATE_DEPLOYMENT)}
)

DEPLOYMENT_SPEC = Message(
    _APPS + "DeploymentSpec",
    {
        1: _int("replicas", keep_zero=True),
        2: _one("selector", LABEL_SELECTOR),
        3: _one("template", POD_TEMPLATE_SPEC),
        4: _one("strategy", DEPLOYMENT_STRATEGY),
        5: _int("minReadySeconds"),
        6: _int("revisionHistoryLimit", keep_zero=True),
        7: _bool("paused"),
        9: _int("progressDeadlineSeconds", keep_zero=True),
    },
)

DEPLOYMENT_CONDITION = Message(
    _APPS + "DeploymentCondition",
    {
        1: Field("type", keep_zero=True),
        2: Field("status", keep_zero=True),
        4: Field("reason"),
        5: Field("message"),
        6: Field("lastUpdateTime", Value.TIME),
        7: Field("lastTransitionTime", Value.TIME),
    },
)

DEPLOYMENT_STATUS = Message(
    _APPS + "DeploymentStatus",
    {
        1: _int("observedGeneration"),
        2: _int("replicas"),
        3: _int("updatedReplicas"),
        4: _int("availableReplicas"),
        5: _int("unavailableReplicas"),
        6: _many("conditions", DEPLOYMENT_CONDITION),
        7: _int("readyReplicas"),
        8: _int("collisionCount", keep_zero=True),
    },
)

SERVICE_PORT = Message(
    _CORE + "ServicePort",
    {
        1: Field("name"),
        2: Field("protocol"),
        3: _int("port", keep_zero=True),
        4: Field("targetPort", Value.INT_OR_STRING),
        5: _int("nodePort"),
        6: Field("appProtocol", keep_zero=True),
    },
)

CLIENT_IP_CONFIG = Message(_CORE + "ClientIPConfig", {1: _int("timeoutSeconds", keep_zero=True)})

SESSION_AFFINITY_CONFIG = Message(_CORE + "SessionAffinityConfig", {1: _one("clientIP", CLIENT_IP_CONFIG)})

SERVICE_SPEC = Message(
    _CORE + "ServiceSpec",
    {
        1: _many("ports", SERVICE_PORT),
        2: Field("selector", Value.STRING_MAP),
        3: Field("clusterIP"),
        4: Field("type"),
        5: _strings("externalIPs"),
        7: Field("sessionAffinity"),
        8: Field("loadBalancerIP"),
        9: _strings("loadBalancerSourceRanges"),
        10: Field("externalName"),
        11: Field("externalTrafficPolicy"),
        12: _int("healthCheckNodePort"),
        13: _bool("publishNotReadyAddresses"),
        14: _one("sessionAffinityConfig", SESSION_AFFINITY_CONFIG),
        17: Field("ipFamilyPolicy", keep_zero=True),
        18: _strings("clusterIPs"),
        19: _strings("ipFamilies"),
        20: _bool("allocateLoadBalancerNodePorts", keep_zero=True),
        21: Field("loadBalancerClass", keep_zero=True),
        22: Field("internalTrafficPolicy", keep_zero=True),
    },
)

LOAD_BALANCER_INGRESS = Message(_CORE + "LoadBalancerIngress", {1: Field("ip"), 2: Field("hostname")})

LOAD_BALANCER_STATUS = Message(_CORE + "LoadBalancerStatus", {1: _many("ingress", LOAD_BALANCER_INGRESS)})

NAMESPACE_CONDITION = Message(
    _CORE + "NamespaceCondition",
    {
        1: Field("type", keep_zero=True),
        2: Field("status", keep_zero=True),
        4: Field("lastTransitionTime", Value.TIME),
        5: Field("reason"),
        6: Field("message"),
    },
)


JOB_SPEC = Message(
    _BATCH + "JobSpec",
    {
        1: _int("parallelism", keep_zero=True),
        2: _int("completions", keep_zero=True),
        3: _int("activeDeadlineSeconds", keep_zero=True),
        4: _one("selector", LABEL_SELECTOR),
        5: _bool("manualSelector", keep_zero=True),
        6: _one("template", POD_TEMPLATE_SPEC),
        7: _int("backoffLimit", keep_zero=True),
        8: _int("ttlSecondsAfterFinished", keep_zero=True),
        9: Field("completionMode", keep_zero=True),
        10: _bool("suspend", keep_zero=True),
        12: _int("backoffLimitPerIndex", keep_zero=True),
        13: _int("maxFailedIndexes", keep_zero=True),
        14: Field("podReplacementPolicy", keep_zero=True),
    },
)

JOB_CONDITION = Message(
    _BATCH + "JobCondition",
    {
        1: Field("type", keep_zero=True),
        2: Field("status", keep_zero=True),
        3: Field("lastProbeTime", Value.TIME),
        4: Field("lastTransitionTime", Value.TIME),
        5: Field("reason"),
        6: Field("message"),
    },
)

UNCOUNTED_TERMINATED_PODS = Message(
    _BATCH + "UncountedTerminatedPods", {1: _strings("succeeded"), 2: _strings("failed")}
)

JOB_STATUS = Message(
    _BATCH + "JobStatus",
    {
        1: _many("conditions", JOB_CONDITION),
        2: Field("startTime", Value.TIME),
        3: Field("completionTime", Value.TIME),
        4: _int("active"),
        5: _int("succeeded"),
        6: _int("failed"),
        7: Field("completedIndexes"),
        8: _one("uncountedTerminatedPods", UNCOUNTED_TERMINATED_PODS),
        9: _int("ready", keep_zero=True),
    },
)

JOB_TEMPLATE_SPEC = Message(
    _BATCH + "JobTemplateSpec", {1: _one("metadata", OBJECT_META), 2: _one("spec", JOB_SPEC)}
)

CRON_JOB_SPEC = Message(
    _BATCH + "CronJobSpec",
    {
        1: Field("schedule", keep_zero=True),
        2: _int("startingDeadlineSeconds", keep_zero=True),
        3: Field("concurrencyPolicy"),
        4: _bool("suspend", keep_zero=True),
        5: _one("jobTemplate", JOB_TEMPLATE_SPEC),
        6: _int("successfulJobsHistoryLimit", keep_zero=True),
        7: _int("failedJobsHistoryLimit", keep_zero=True),
        8: Field("timeZone", keep_zero=True),
    },
)

CRON_JOB_STATUS = Message(
    _BATCH + "CronJobStatus",
    {
        1: _many("active", OBJECT_REFERENCE),
        4: Field("lastScheduleTime", Value.TIME),
        5: Field("lastSuccessfulTime", Value.TIME),
    },
)


def _object(name: str, fields: dict[int, Field]) -> Message:
    """A top-level kind: ``metadata`` is field 1 of every one of them."""
    return Message(name, {1: _one("metadata", OBJECT_META), **fields})


KINDS: dict[tuple[str, str], Message] = {
    ("v1", "ConfigMap"): _object(
        _CORE + "ConfigMap",
        {
            2: Field("data", Value.STRING_MAP),
            3: Field("binaryData", Value.BYTES_MAP),
            4: _bool("immutable", keep_zero=True),
        },
    ),
    ("v1", "Secret"): _object(
        _CORE + "Secret",
        {
            2: Field("data", Value.BYTES_MAP),
            3: Field("type"),
            4: Field("stringData", Value.STRING_MAP),
            5: _bool("immutable", keep_zero=True),
        },
    ),
    ("v1", "Namespace"): _object(
        _CORE + "Namespace",
        {
            2: _one("spec", Message(_CORE + "NamespaceSpec", {1: _strings("finalizers")})),
            3: _one(
                "status",
                Message(
                    _CORE + "NamespaceStatus",
                    {1: Field("phase"), 2: _many("conditions", NAMESPACE_CONDITION)},
                ),
            ),
        },
    ),
    ("v1", "ServiceAccount"): _object(
        _CORE + "ServiceAccount",
        {
            2: _many("secrets", OBJECT_REFERENCE),
            3: _many("imagePullSecrets", LOCAL_OBJECT_REFERENCE),
            4: _bool("automountServiceAccountToken", keep_zero=True),
        },
    ),
    ("v1", "Service"): _object(
        _CORE + "Service",
        {
            2: _one("spec", SERVICE_SPEC),
            3: _one(
                "status", Message(_CORE + "ServiceStatus", {1: _one("loadBalancer", LOAD_BALANCER_STATUS)})
            ),
        },
    ),
    ("apps/v1", "Deployment"): _object(
        _APPS + "Deployment", {2: _one("spec", DEPLOYMENT_SPEC), 3: _one("status", DEPLOYMENT_STATUS)}
    ),
    ("batch/v1", "Job"): _object(_BATCH + "Job", {2: _one("spec", JOB_SPEC), 3: _one("status", JOB_STATUS)}),
    ("batch/v1", "CronJob"): _object(
        _BATCH + "CronJob", {2: _one("spec", CRON_JOB_SPEC), 3: _one("status", CRON_JOB_STATUS)}
    ),
}
"""The kinds whose protobuf bodies the HTTP door reads, by ``(apiVersion, kind)``."""
