"""Every exception class the ``anthropic`` SDK exports, and the decision for each (anthropic 2.17).

``BY_STATUS``: the HTTP status rule refined by the body (see ``_common``). A pinned category is used
where one status holds cases that must be treated differently; ``NoRetry(category)`` where the API
says not to send the same request again although its status would be retried. The drift test fails
when the installed SDK exports a class missing here.
"""

from __future__ import annotations

from resilience_kit._categories import ErrorCategory
from resilience_kit._classify._common import BY_BODY, BY_CAUSE, BY_STATUS, Decision, NoRetry

DECISIONS: dict[str, Decision] = {
    # Base classes: only what they wrap says anything.
    "AnthropicError": BY_CAUSE,
    # Raised by middleware to opt an attempt into the SDK's retries: retryable, category by cause.
    "RetryableError": BY_CAUSE,
    "APIError": BY_BODY,
    # Status 200 means an SSE error event mid-stream: ``exc.type`` decides, in_stream=True.
    "APIStatusError": BY_STATUS,
    # A 200 whose body does not match the schema: an SDK/API mismatch a retry does not fix.
    "APIResponseValidationError": ErrorCategory.UNKNOWN,
    "APIWebhookValidationError": ErrorCategory.BAD_REQUEST,
    "APIConnectionError": ErrorCategory.CONNECTION,
    "APITimeoutError": ErrorCategory.TIMEOUT,
    "CredentialsError": ErrorCategory.AUTH,
    "IdentityTokenFileError": ErrorCategory.AUTH,
    "WorkloadIdentityError": ErrorCategory.AUTH,
    # Programming and setup errors: retrying cannot help.
    "MissingDependencyError": ErrorCategory.BAD_REQUEST,
    "MutuallyExclusiveAuthError": ErrorCategory.BAD_REQUEST,
    "StreamAlreadyConsumed": ErrorCategory.BAD_REQUEST,
    "MissingStreamClassError": ErrorCategory.BAD_REQUEST,
    "ToolsetUsageError": ErrorCategory.BAD_REQUEST,
    "ToolsetClosedError": ErrorCategory.BAD_REQUEST,
    "ToolsetConfigError": ErrorCategory.BAD_REQUEST,
    "ToolsetContractError": ErrorCategory.BAD_REQUEST,
    "ToolsetsFixedError": ErrorCategory.BAD_REQUEST,
    "AsyncOnSyncToolsetError": ErrorCategory.BAD_REQUEST,
    "SyncOnAsyncToolsetError": ErrorCategory.BAD_REQUEST,
    "NestedCallError": ErrorCategory.BAD_REQUEST,
    "BrowserStateError": ErrorCategory.BAD_REQUEST,
    # Tool-runner refusals: raised by or to your tools and read by the model, not API failures.
    "ToolError": ErrorCategory.BAD_REQUEST,
    "ConfirmDeclinedError": ErrorCategory.BAD_REQUEST,
    "ConfirmFailedError": ErrorCategory.BAD_REQUEST,
    "DisabledMemberError": ErrorCategory.BAD_REQUEST,
    "InvalidMemberInputError": ErrorCategory.BAD_REQUEST,
    "TabMissingError": ErrorCategory.BAD_REQUEST,
    "URLRefusedError": ErrorCategory.BAD_REQUEST,
    "UnavailableMemberError": ErrorCategory.BAD_REQUEST,
    "UnknownMemberError": ErrorCategory.BAD_REQUEST,
    "UploadRefusedError": ErrorCategory.BAD_REQUEST,
    "UploadNoRootsError": ErrorCategory.BAD_REQUEST,
    "UploadOutsideRootsError": ErrorCategory.BAD_REQUEST,
    # One class per status (ERROR_CLASSES[(status, None)]).
    "BadRequestError": BY_STATUS,
    "AuthenticationError": BY_STATUS,
    "PaymentRequiredError": BY_STATUS,
    "PermissionDeniedError": BY_STATUS,
    "NotFoundError": BY_STATUS,
    "RequestTimeoutError": BY_STATUS,
    "ConflictError": BY_STATUS,
    "PreconditionFailedError": BY_STATUS,
    "ContentTooLargeError": BY_STATUS,
    "UnprocessableEntityError": BY_STATUS,
    "RateLimitError": BY_STATUS,
    "RequestHeaderFieldsTooLargeError": BY_STATUS,
    "ClientClosedRequestError": BY_STATUS,
    "InternalServerError": BY_STATUS,
    "HTTPNotImplementedError": BY_STATUS,
    "ServiceUnavailableError": BY_STATUS,
    "GatewayTimeoutError": BY_STATUS,
    "OverloadedError": BY_STATUS,
    # Subclasses chosen by (status, body.error.details.error_code).
    # 400
    "AlreadyMemberError": BY_STATUS,
    "BetaApprovalRequiredError": BY_STATUS,
    "AvailableToolsLimitExceededError": BY_STATUS,
    "BetaBundleAttachmentNotSupportedError": BY_STATUS,
    "BetaBundleOnCallError": BY_STATUS,
    "CannotInviteEmailsWithUnverifiedDomainsError": BY_STATUS,
    "CannotRemoveLastMemberError": BY_STATUS,
    "BetaCannotSignOutPrimaryOwnerError": BY_STATUS,
    "BetaCannotSignOutSelfError": BY_STATUS,
    "ClaudeCodeKeyCreatorNotMemberError": BY_STATUS,
    "ClaudeCodeVersionTooOldError": BY_STATUS,
    "BetaCMEKFeatureUnsupportedError": BY_STATUS,
    "CMEKKeyDisabledError": BY_STATUS,
    "CMEKKeyNetworkBlockedError": BY_STATUS,
    "BetaCMEKNotApprovedError": BY_STATUS,
    "CompactionBlockAmbiguousError": BY_STATUS,
    "CompactionBlockMisplacedError": BY_STATUS,
    "CompactionContentMismatchError": BY_STATUS,
    "CompactionIncompleteTurnError": BY_STATUS,
    "CompactionNothingToSummarizeError": BY_STATUS,
    "CompactionSignatureInvalidError": BY_STATUS,
    "CompactionTooManyToolReferencesError": BY_STATUS,
    "CompactionToolChangesMismatchError": BY_STATUS,
    "EmailDomainNotAllowedError": BY_STATUS,
    "BetaEnvironmentArchivedError": BY_STATUS,
    "ExternalKeyInWorkspacePolicyError": BY_STATUS,
    "BetaExternalKeyNotFoundError": BY_STATUS,
    "BetaExternalKeyProviderMismatchError": BY_STATUS,
    "ExternalKeyValidationFailedError": BY_STATUS,
    # validation did not finish in time; the docstring says send again
    "ExternalKeyValidationTimedOutError": ErrorCategory.TIMEOUT,
    "BetaExternalStorageInUseError": BY_STATUS,
    "BetaExternalStorageInWorkspacePolicyError": BY_STATUS,
    "BetaExternalStorageNotAvailableError": BY_STATUS,
    "FileNotDownloadableError": BY_STATUS,
    "BetaGCPProjectNotVerifiedError": BY_STATUS,
    "BetaGrantRequiredError": BY_STATUS,
    "BetaHumanReviewNotAvailableError": BY_STATUS,
    "BetaHumanReviewOnWithExternalStorageError": BY_STATUS,
    "ImageDimensionsTooLargeError": BY_STATUS,
    "BetaInvalidConfigTypeChangeError": BY_STATUS,
    "BetaInvalidMetadataError": BY_STATUS,
    "BetaInvalidStorageARNError": BY_STATUS,
    "InviteAlreadyExistsError": BY_STATUS,
    "KeyProfileMismatchError": BY_STATUS,
    "OrgAPIKeyLimitExceededError": BY_STATUS,
    "OrgMemberLimitExceededError": BY_STATUS,
    "BetaOrganizationNotEligibleError": BY_STATUS,
    "BetaOrganizationNotEnrolledInBetaError": BY_STATUS,
    # organization disabled (trust and safety): no call can succeed
    "OrganizationOnHoldError": ErrorCategory.PERMISSION,
    # URL image and document sources, web_fetch and mcp_servers are turned off for the
    # organization: no request that uses them can succeed until that changes
    "OrganizationURLFetchDisabledError": ErrorCategory.PERMISSION,
    "OrganizationTypeNotSupportedError": BY_STATUS,
    "ParentOrganizationRequiredError": BY_STATUS,
    "BetaProviderNotAllowedError": BY_STATUS,
    "RBACGroupGrantsOwnerAccessError": BY_STATUS,
    "BetaRBACGroupOrderLimitExceededError": BY_STATUS,
    "RBACGroupOwnerAccessUnconfirmedError": BY_STATUS,
    "BetaRegionNotSupportedError": BY_STATUS,
    "BetaReportPageTooLargeError": BY_STATUS,
    "RequestBodyEncodingInvalidError": BY_STATUS,
    "RequestBodyEncodingUnsupportedError": BY_STATUS,
    "BetaRequestBodyTimeoutError": BY_STATUS,
    "BetaScanFailedError": BY_STATUS,
    "BetaSettingsDocumentLimitExceededError": BY_STATUS,
    "BetaSettingsHistoryLimitExceededError": BY_STATUS,
    "BetaSlackChannelSetUpSettingsRefusedError": BY_STATUS,
    "BetaStorageAttachLimitReachedError": BY_STATUS,
    "BetaStorageNotApprovedError": BY_STATUS,
    "BetaStorageNotAttachableError": BY_STATUS,
    "StorageProfileMismatchError": BY_STATUS,
    "BetaStorageProfileStillRequiredError": BY_STATUS,
    # file storage is full: every upload fails until files are deleted
    "StorageQuotaExceededError": ErrorCategory.QUOTA,
    "BetaStorageVerificationFailedError": BY_STATUS,
    "ThreadAlreadyContinuedError": BY_STATUS,
    "ThreadContinueInFlightError": BY_STATUS,
    "ThreadFingerprintMismatchError": BY_STATUS,
    "ThreadUnsupportedRequestError": BY_STATUS,
    "BetaTooManyReportGroupsError": BY_STATUS,
    "ToolNameConflictError": BY_STATUS,
    "ToolReferenceUnresolvedError": BY_STATUS,
    "BetaTranscriptsStorageRequiredError": BY_STATUS,
    "BetaUnsupportedCharsetError": BY_STATUS,
    "BetaUnsupportedRegionError": BY_STATUS,
    "UserProfileClearedError": BY_STATUS,
    "UserProfileNotFoundError": BY_STATUS,
    "UserProfileRequiredError": BY_STATUS,
    "WorkspaceAPIKeyLimitExceededError": BY_STATUS,
    "WorkspaceHumanReviewDisabledError": BY_STATUS,
    "WorkspaceMemberLimitExceededError": BY_STATUS,
    "WorkspacePolicyViolationError": BY_STATUS,
    # 402
    "LinkedOrganizationBillingUnavailableError": ErrorCategory.QUOTA,
    "LinkedOrganizationSpendLimitReachedError": ErrorCategory.QUOTA,
    # 403
    # "safe to send the same request again": the API could not confirm the caller this time
    "APIKeyRequesterUnconfirmedError": ErrorCategory.SERVER,
    "BetaAPIKeyScopeMissingError": BY_STATUS,
    "BetaCannotSignOutManagedMemberError": BY_STATUS,
    "BetaCannotSignOutMembershipAdminError": BY_STATUS,
    "BetaCannotSignOutOwnerError": BY_STATUS,
    "BetaCannotSignOutPrivilegedMemberError": BY_STATUS,
    "BetaClaudeTagWritesNotEnabledError": BY_STATUS,
    "BetaComplianceConfigurationRestrictedError": BY_STATUS,
    "BetaEnvironmentCreateDisabledError": BY_STATUS,
    "BetaEnvironmentUpdateDisabledError": BY_STATUS,
    "BetaOrganizationLevelScopedAPIKeyRequiredError": BY_STATUS,
    "SandboxEgressRestrictedError": BY_STATUS,
    "BetaSpendLimitsAdminAPIWritesNotEnabledError": BY_STATUS,
    "UserProfileBillingNotAuthorizedError": BY_STATUS,
    "UserProfileNotBillableError": BY_STATUS,
    # 404
    "BetaEnvironmentNotFoundError": BY_STATUS,
    "FileExpiredError": BY_STATUS,
    "BetaRBACGroupManagedSettingsNotFoundError": BY_STATUS,
    "BetaRBACGroupNotFoundError": BY_STATUS,
    "RBACRoleNotFoundError": BY_STATUS,
    "BetaSlackChannelSetUpEnvironmentNotFoundError": BY_STATUS,
    "ThreadNotFoundError": BY_STATUS,
    # 409
    "ConcurrentMembershipChangeError": BY_STATUS,
    "ExternalKeyChangedError": BY_STATUS,
    # 409, but another organization holds the project (or its cool-down runs): not in seconds
    "BetaGCPProjectControlledByAnotherOrganizationError": ErrorCategory.BAD_REQUEST,
    # 409, but the name stays taken: a retry cannot succeed
    "BetaPluginNameTakenError": ErrorCategory.BAD_REQUEST,
    "BetaScanPendingError": BY_STATUS,
    # 409, but the name stays taken: a retry cannot succeed
    "BetaSkillNameTakenError": ErrorCategory.BAD_REQUEST,
    # 409, but the key state needs an admin: a retry cannot succeed
    "SkillReadBlockedUndecryptableError": ErrorCategory.BAD_REQUEST,
    "BetaSlackChannelSetUpSettingsConflictError": BY_STATUS,
    # 409, but the bucket stays registered: a retry cannot succeed
    "BetaStorageAlreadyRegisteredError": ErrorCategory.BAD_REQUEST,
    # the docstring says archive again (with the right permission): a retry is what it asks
    "StorageAttachedDuringArchiveError": BY_STATUS,
    # another request changed the setting; "read the Workspace and send again if you still
    # want the change": a blind resend would undo the other change
    "BetaStorageChangedConcurrentlyError": NoRetry(ErrorCategory.CONFLICT),
    # 409, but the bucket is (or was recently) in use: "name a different bucket"
    "BetaStorageInUseError": ErrorCategory.BAD_REQUEST,
    # same as BetaStorageChangedConcurrentlyError, for the Workspace
    "BetaWorkspaceChangedConcurrentlyError": NoRetry(ErrorCategory.CONFLICT),
    # 412
    "BetaHeartbeatPreconditionFailedError": BY_STATUS,
    # 413
    "RequestBodyTooLargeAfterDecodingError": BY_STATUS,
    # 429
    # billing stop: never retried
    "ContractSpendLimitReachedError": ErrorCategory.QUOTA,
    # billing stop until the next month: never retried
    "EnforcedSpendLimitReachedError": ErrorCategory.QUOTA,
    # usage grew too fast; wait for retry-after
    "RampLimitExceededError": ErrorCategory.RATE_LIMIT,
    # 503
    # an approval could not be read right now; "retry after the Retry-After delay"
    "BetaAuthorizationCheckUnavailableError": BY_STATUS,
    # partly saved; "send the same request again to finish it" (a failure, not a lack of capacity)
    "ChangeOutcomeUnknownError": ErrorCategory.SERVER,
    "CMEKContextUnavailableError": BY_STATUS,
    "CMEKKeyUnreachableError": BY_STATUS,
    "BetaRegistrationPendingError": BY_STATUS,
    # the Workspace is still being connected to its storage; "Try again in a minute": a
    # transient failure, not a lack of capacity (an adaptive limiter must not shrink on it)
    "StorageNotReadyError": ErrorCategory.SERVER,
    # the Workspace exists; "don't send the create again": a retry would create another one
    "WorkspaceCreatedIncompleteError": NoRetry(ErrorCategory.SERVER),
    # 529
    "CompactionUnavailableError": BY_STATUS,
}

ERROR_MODULES: tuple[str, ...] = (
    "anthropic._exceptions",
    "anthropic._error_classes",
    "anthropic._response",
    "anthropic.lib._extras._common",
    "anthropic.lib.foundry",
    "anthropic.lib.tools._toolsets._errors",
    "anthropic.lib.tools._toolsets._base",
    "anthropic.lib.tools._toolsets._browser",
    "anthropic.lib.tools._beta_functions",
)
"""Modules that define exception classes; the drift test imports them and checks the table."""
