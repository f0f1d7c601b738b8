import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct RelativePathTests {
    @Test(arguments: [
        ("hero/a.png", "hero/a.png"), ("./hero//a.png", "hero/a.png"), ("hero/../x.png", "x.png"),
        ("a/.hidden/b", "a/.hidden/b"), ("a/...", "a/..."), ("a/b/", "a/b"),
    ])
    func normalizes(_ input: String, _ expected: String) {
        #expect(RelativePath.normalize(input) == expected)
    }

    @Test(arguments: ["../x", "a/../../x", "..", "hero/../../etc/x.png"])
    func refusesPathsThatClimbOut(_ input: String) {
        #expect(RelativePath.normalize(input) == nil)
    }

    @Test func s3KeysAreEncodedPerSigV4() {
        #expect(S3Address.objectURL(bucket: "b", key: "p/a b+c/é.png", region: "eu-west-1", endpoint: nil, pathStyle: false)
                == "https://b.s3.eu-west-1.amazonaws.com/p/a%20b%2Bc/%C3%A9.png")
        #expect(S3Address.objectURL(bucket: "b", key: "k.png", region: nil, endpoint: "http://127.0.0.1:8333", pathStyle: true)
                == "http://127.0.0.1:8333/b/k.png")
    }
}
