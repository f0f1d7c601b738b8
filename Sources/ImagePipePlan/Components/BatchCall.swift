import ImagePipeCore
import ImagePipeLanguage

/// A unit's call when its stage goes through the provider's batch API: its request as a batch
/// line, and what the unit keeps of the image its line gives back. Nil from
/// `PreparedUnit.batchCall()` for every other call.
package struct BatchCall<Product: Sendable>: Sendable {
    package let provider: any BatchImageProvider
    package let setting: BatchSetting
    package let line: @Sendable (_ customID: String) throws(CallFailure) -> [UInt8]
    package let finish: @Sendable (ProviderImage) throws(CallFailure) -> Product

    package init(provider: any BatchImageProvider, setting: BatchSetting, line: @escaping @Sendable (String) throws(CallFailure) -> [UInt8],
                 finish: @escaping @Sendable (ProviderImage) throws(CallFailure) -> Product) {
        self.provider = provider
        self.setting = setting
        self.line = line
        self.finish = finish
    }
}
