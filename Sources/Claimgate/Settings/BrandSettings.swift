import Foundation
import Secrets

extension Settings {
    /// Who the pages say made the database, and where they lead back to (`claimgate.brand.*`).
    ///
    /// A user deciding whether to sign in at Prisma wants to know who is handing them a database,
    /// so the claim page names the partner, shows its logo and offers a way back. Every value is
    /// optional; without them the pages stay neutral ("Created for you").
    public struct BrandSettings: Sendable {
        /// Where the logo comes from: an https URL the browser loads itself, or a file that
        /// Claimgate reads once at start and serves at ``Logo/servedPath``.
        public enum Logo: Sendable, Equatable {
            case remote(String)
            case file(bytes: [UInt8], contentType: String)

            /// Where Claimgate serves a logo file.
            public static let servedPath = "/brand/logo"
        }

        public var name: String?
        public var logo: Logo?
        /// `#rrggbb`, lower-cased.
        public var accentColor: String?
        /// "Back to <name>": https, or http on a loopback host.
        public var returnURL: String?
        /// "Contact support": https, http on a loopback host, or `mailto:`.
        public var supportURL: String?

        /// Largest logo file accepted (it is held in memory and sent with every page view).
        static let maxLogoBytes = 262_144
        static let logoTypes = ["svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                                "webp": "image/webp", "gif": "image/gif"]

        public init(name: String? = nil, logo: Logo? = nil, accentColor: String? = nil, returnURL: String? = nil, supportURL: String? = nil) {
            self.name = name
            self.logo = logo
            self.accentColor = accentColor
            self.returnURL = returnURL
            self.supportURL = supportURL
        }

        public init(reader: SettingsReader) throws {
            name = try reader.optionalString("name")
            if let name, name.count > 80 { throw reader.invalid("name", "must be at most 80 characters") }
            if let logo = try reader.optionalString("logoUrl") {
                self.logo = try BrandSettings.logo(logo, reader: reader)
            }
            if let color = try reader.optionalString("accentColor") {
                guard color.count == 7, color.first == "#", color.dropFirst().allSatisfy(\.isHexDigit) else {
                    throw reader.invalid("accentColor", "must be a colour written #rrggbb")
                }
                accentColor = color.lowercased()
            }
            if let url = try reader.optionalString("returnUrl") {
                guard BrandSettings.isPageLink(url) else {
                    throw reader.invalid("returnUrl", "must be an https:// URL (http:// only for localhost)")
                }
                returnURL = url
            }
            if let url = try reader.optionalString("supportUrl") {
                guard BrandSettings.isPageLink(url) || BrandSettings.isMailto(url) else {
                    throw reader.invalid("supportUrl", "must be an https:// URL (http:// only for localhost) or a mailto: address")
                }
                supportURL = url
            }
        }

        /// An https logo is loaded by the browser (its origin is allowed for images only); anything
        /// else is a file path, read now so that a missing file stops the start, not a page view.
        static func logo(_ value: String, reader: SettingsReader) throws -> Logo {
            if value.lowercased().hasPrefix("https://") {
                guard let components = URLComponents(string: value), components.host?.isEmpty == false,
                      components.user == nil, !value.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
                    throw reader.invalid("logoUrl", "must be an https:// URL or a file path")
                }
                return .remote(value)
            }
            if value.contains("://") { throw reader.invalid("logoUrl", "must be an https:// URL or a file path") }
            let ext = URL(fileURLWithPath: value).pathExtension.lowercased()
            guard let type = logoTypes[ext] else {
                throw reader.invalid("logoUrl", "must name a .svg, .png, .jpg, .webp or .gif file")
            }
            guard let data = FileManager.default.contents(atPath: value) else {
                throw reader.invalid("logoUrl", "names a file that cannot be read")
            }
            guard !data.isEmpty, data.count <= maxLogoBytes else {
                throw reader.invalid("logoUrl", "must name a file of at most \(maxLogoBytes / 1024) KiB")
            }
            return .file(bytes: Array(data), contentType: type)
        }

        /// A link a page may offer: https anywhere, plain http only to this machine.
        static func isPageLink(_ value: String) -> Bool {
            guard let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
                  let host = components.host?.lowercased(), !host.isEmpty, components.user == nil,
                  !value.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "<" || $0 == ">" }) else { return false }
            if scheme == "https" { return true }
            return scheme == "http" && ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host)
        }

        static func isMailto(_ value: String) -> Bool {
            let lower = value.lowercased()
            return lower.hasPrefix("mailto:") && value.count > 8 && value.dropFirst(7).contains("@")
                && !value.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "<" || $0 == ">" })
        }
    }

    /// The fleet dashboard at `/admin` (`claimgate.admin.*`): off unless a password is set.
    public struct AdminSettings: Sendable {
        /// HTTP Basic password for the user `admin`; nil turns `/admin` off (404).
        public var password: Secret?

        public init(reader: SettingsReader) throws {
            password = try reader.secret("password")
            if let password, password.value.count < 12 {
                throw reader.invalid("password", "must be at least 12 characters")
            }
        }
    }
}
