/// The release of this build, reported by `claimgate version`, the `User-Agent` and `/healthz`.
public enum ClaimgateVersion {
    public static let current = "0.1.0"
}
