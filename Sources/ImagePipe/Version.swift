public enum ImagePipeVersion { public static let current = "0.1.0" }
