import HTTPServer

/// `GET /brand/logo`: the partner's logo file, when `CLAIMGATE_BRAND_LOGO_URL` names a file; and an
/// empty `GET /favicon.ico`.
///
/// Read once at start. An SVG opened directly (not as an image) could run script in our origin,
/// so the answer carries its own sandboxing policy as well as `nosniff`.
struct BrandRoutes {
    let brand: Settings.BrandSettings

    func register(in router: inout Router) {
        // Browsers ask for this on every site; a 404 would be an error in every page's console.
        // The pages name their icon themselves (the logo) when there is one.
        router.get("/favicon.ico") { _ in
            HTTPResponse(status: 204, headers: ["Cache-Control": "public, max-age=86400"])
        }
        guard case .file(let bytes, let contentType)? = brand.logo else { return }
        router.get(Settings.BrandSettings.Logo.servedPath) { _ in
            HTTPResponse(status: 200, headers: [
                "Content-Type": contentType, "Cache-Control": "public, max-age=3600",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ], body: bytes)
        }
    }
}
