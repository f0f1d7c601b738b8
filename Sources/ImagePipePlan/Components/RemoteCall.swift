import ImagePipeCore

/// A unit's call when its provider works through a queue: the engine submits, records the job,
/// waits for it without a slot and turns its image into the unit's product. Nil from
/// `PreparedUnit.remoteCall()` when the call is synchronous.
package struct RemoteCall<Product: Sendable>: Sendable {
    package let provider: any QueuedImageProvider
    /// The paid submit.
    package let submit: @Sendable (_ webhook: String?) async throws(CallFailure) -> RemoteSubmission
    /// What the unit keeps of the job's image (written in provenance, inspected).
    package let finish: @Sendable (ProviderImage) throws(CallFailure) -> Product

    package init(provider: any QueuedImageProvider, submit: @escaping @Sendable (_ webhook: String?) async throws(CallFailure) -> RemoteSubmission,
                 finish: @escaping @Sendable (ProviderImage) throws(CallFailure) -> Product) {
        self.provider = provider
        self.submit = submit
        self.finish = finish
    }
}
