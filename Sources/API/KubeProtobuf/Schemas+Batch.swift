extension Schemas {
    /// batch/v1 messages (k8s.io/api/batch/v1/generated.proto): Job and CronJob.
    static let batch: [MessageSchema] = [
        MessageSchema("batch.v1.Job", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("batch.v1.JobSpec")),
            Field(3, "status", .message("batch.v1.JobStatus")),
        ]),
        MessageSchema("batch.v1.JobSpec", [
            Field(1, "parallelism", .int32, .keepsZero),
            Field(2, "completions", .int32, .keepsZero),
            Field(3, "activeDeadlineSeconds", .int64, .keepsZero),
            Field(4, "selector", .message("meta.v1.LabelSelector")),
            Field(5, "manualSelector", .bool, .keepsZero),
            Field(6, "template", .message("core.v1.PodTemplateSpec")),
            Field(7, "backoffLimit", .int32, .keepsZero),
            Field(8, "ttlSecondsAfterFinished", .int32, .keepsZero),
            Field(9, "completionMode", .string, .keepsZero),
            Field(10, "suspend", .bool, .keepsZero),
            Field(11, "podFailurePolicy", .message("batch.v1.PodFailurePolicy")),
            Field(12, "backoffLimitPerIndex", .int32, .keepsZero),
            Field(13, "maxFailedIndexes", .int32, .keepsZero),
            Field(14, "podReplacementPolicy", .string, .keepsZero),
            Field(15, "managedBy", .string, .keepsZero),
            Field(16, "successPolicy", .message("batch.v1.SuccessPolicy")),
        ]),
        MessageSchema("batch.v1.PodFailurePolicy", [
            Field(1, "rules", .message("batch.v1.PodFailurePolicyRule"), .repeated),
        ]),
        MessageSchema("batch.v1.PodFailurePolicyRule", [
            Field(1, "action", .string, .keepsZero),
            Field(2, "onExitCodes", .message("batch.v1.PodFailurePolicyOnExitCodesRequirement")),
            Field(3, "onPodConditions", .message("batch.v1.PodFailurePolicyOnPodConditionsPattern"), .repeated),
        ]),
        MessageSchema("batch.v1.PodFailurePolicyOnExitCodesRequirement", [
            Field(1, "containerName", .string, .keepsZero),
            Field(2, "operator", .string, .keepsZero),
            Field(3, "values", .int32, .repeated),
        ]),
        MessageSchema("batch.v1.PodFailurePolicyOnPodConditionsPattern", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "status", .string, .keepsZero),
        ]),
        MessageSchema("batch.v1.SuccessPolicy", [
            Field(1, "rules", .message("batch.v1.SuccessPolicyRule"), .repeated),
        ]),
        MessageSchema("batch.v1.SuccessPolicyRule", [
            Field(1, "succeededIndexes", .string, .keepsZero),
            Field(2, "succeededCount", .int32, .keepsZero),
        ]),
        MessageSchema("batch.v1.JobStatus", [
            Field(1, "conditions", .message("batch.v1.JobCondition"), .repeated),
            Field(2, "startTime", .time),
            Field(3, "completionTime", .time),
            Field(4, "active", .int32),
            Field(5, "succeeded", .int32),
            Field(6, "failed", .int32),
            Field(7, "completedIndexes", .string),
            Field(8, "uncountedTerminatedPods", .message("batch.v1.UncountedTerminatedPods")),
            Field(9, "ready", .int32, .keepsZero),
            Field(10, "failedIndexes", .string, .keepsZero),
            Field(11, "terminating", .int32, .keepsZero),
        ]),
        MessageSchema("batch.v1.JobCondition", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "status", .string, .keepsZero),
            Field(3, "lastProbeTime", .time),
            Field(4, "lastTransitionTime", .time),
            Field(5, "reason", .string),
            Field(6, "message", .string),
        ]),
        MessageSchema("batch.v1.UncountedTerminatedPods", [
            Field(1, "succeeded", .string, .repeated),
            Field(2, "failed", .string, .repeated),
        ]),
            MessageSchema("batch.v1.CronJob", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("batch.v1.CronJobSpec")),
            Field(3, "status", .message("batch.v1.CronJobStatus")),
        ]),
        MessageSchema("batch.v1.CronJobSpec", [
            Field(1, "schedule", .string, .keepsZero),
            Field(2, "startingDeadlineSeconds", .int64, .keepsZero),
            Field(3, "concurrencyPolicy", .string),
            Field(4, "suspend", .bool, .keepsZero),
            Field(5, "jobTemplate", .message("batch.v1.JobTemplateSpec"), .keepsZero),
            Field(6, "successfulJobsHistoryLimit", .int32, .keepsZero),
            Field(7, "failedJobsHistoryLimit", .int32, .keepsZero),
            Field(8, "timeZone", .string, .keepsZero),
        ]),
        MessageSchema("batch.v1.JobTemplateSpec", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("batch.v1.JobSpec")),
        ]),
        MessageSchema("batch.v1.CronJobStatus", [
            Field(1, "active", .message("core.v1.ObjectReference"), .repeated),
            Field(4, "lastScheduleTime", .time),
            Field(5, "lastSuccessfulTime", .time),
        ]),
    ]
}
