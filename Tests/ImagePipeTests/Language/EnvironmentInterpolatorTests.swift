import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct EnvironmentInterpolatorTests {
    let interpolator = EnvironmentInterpolator(environment: ["KEY": "secret-value", "EMPTY": ""])

    @Test func substitutesAndRegistersSecrets() throws {
        let secrets = SecretSet()
        let result = try interpolator.interpolate("Bearer ${KEY}", secrets: secrets)
        #expect(result.text == "Bearer secret-value")
        #expect(result.usedEnvironment)
        #expect(secrets.redact("token=secret-value;") == "token=***;")
    }

    @Test func defaultsAndLiteralDollar() throws {
        #expect(try interpolator.interpolate("${NOPE:-fallback}", secrets: nil).text == "fallback")
        #expect(try interpolator.interpolate("${EMPTY:-fallback}", secrets: nil).text == "fallback")
        #expect(try interpolator.interpolate("${EMPTY-fallback}", secrets: nil).text == "")
        #expect(try interpolator.interpolate("costs $$5 and $ more", secrets: nil).text == "costs $5 and $ more")
        let defaulted = try interpolator.interpolate("${NOPE:-x}", secrets: nil)
        #expect(!defaulted.usedEnvironment)
    }

    @Test func reportsMissingAndMalformed() throws {
        #expect(try interpolator.interpolate("${A}${B}", secrets: nil).missing == ["A", "B"])
        #expect(throws: EnvironmentInterpolator.Failure.unterminated(offset: 0)) { try interpolator.interpolate("${KEY", secrets: nil) }
        #expect(throws: EnvironmentInterpolator.Failure.badName("1X", offset: 0)) { try interpolator.interpolate("${1X}", secrets: nil) }
    }

    @Test func missingVariableIsAWarningUnlessStrict() {
        let yaml = "version: 1\nname: p\nproviders:\n  g:\n    kind: gemini\n    api_key: ${NOT_SET_ANYWHERE}\n"
        let (relaxed, _) = Fixtures.validate(yaml)
        #expect(relaxed.isValid)
        #expect(Fixtures.lines(relaxed) == ["pipeline.yaml:6:14: warning: environment variable 'NOT_SET_ANYWHERE' is not set; set it before 'imagepipe run', or give a default: ${NOT_SET_ANYWHERE:-value}"])
        let (strict, _) = Fixtures.validate(yaml, strict: true)
        #expect(!strict.isValid)
    }
}
