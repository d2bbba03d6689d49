import Foundation
import HTTPServer
import PrismaAPI

/// The end user's delete: `GET /claim/<token>/delete` asks, `POST` does it.
///
/// The claim link is the authority (whoever holds it may claim the database, so may delete it);
/// the POST must come from our own page (``ClaimRoutes/isFromOwnPage(_:)``) and carry the
/// confirmation that page rendered for this link (``DeleteConfirmation``), so another site can
/// neither delete a database through a user's browser nor skip the question.
extension ClaimRoutes {
    func registerDelete(in router: inout Router, chain: [any HTTPMiddleware]) {
        router.get("/claim/:token/delete", middleware: chain) { request in
            let token = request.pathParameters["token"] ?? ""
            let state = try await service.inspect(token: token)
            guard case .claimable(let record) = state else { return linkPage(state) }
            return .html(pages.confirmDelete(
                name: record.name, action: "/claim/\(token)/delete", confirmation: confirmation.issue(token: token),
                back: "/claim/\(token)"))
        }
        router.post("/claim/:token/delete", middleware: chain) { request in
            let token = request.pathParameters["token"] ?? ""
            guard isFromOwnPage(request) else {
                return page(403, pages.message(
                    title: "Delete from the database's own page",
                    "This request came from another site. Open your claim link directly to delete the database."))
            }
            let state = try await service.inspect(token: token)
            guard case .claimable(let record) = state else { return linkPage(state) }
            let form = FormEncoding.decode(String(decoding: request.body, as: UTF8.self)).filter { $0.name == "confirmation" }
            guard form.count == 1, confirmation.verify(form[0].value, token: token) else {
                return page(403, pages.message(
                    title: "Please confirm again",
                    "This confirmation is no longer valid (it is more than 30 minutes old, or came from elsewhere). Nothing was deleted.",
                    action: ("Back to the database", "/claim/\(token)")))
            }
            do {
                _ = try await provisioning.delete(record.id, by: .user)
            } catch let error as ProvisioningError {
                request.logger.warning("user delete refused", metadata: ["database_id": "\(record.id)", "reason": "\(error)"])
                return deleteRefused(error)
            }
            return page(200, pages.deleted(name: record.name))
        }
    }

    /// Why the user's delete did not happen, in words (never Prisma's own text).
    func deleteRefused(_ error: ProvisioningError) -> HTTPResponse {
        switch error {
        case .alreadyClaimed: return linkPage(.claimed)
        case .claimInProgress:
            return page(409, pages.message(
                title: "A claim is in progress", "This database is being claimed right now, so it cannot be deleted. Open your claim link again in a moment."))
        case .deleteBlocked:
            return page(409, pages.message(
                title: "This database cannot be deleted",
                "Prisma refused to delete it. It will still be deleted when it expires; contact the service that made it if you need it gone sooner.",
                offerReturn: true))
        default:
            var response = page(503, pages.message(
                title: "The database was not deleted", "Prisma could not be reached. Nothing changed; please try again in a minute."))
            response.headers.set("Retry-After", "30")
            return response
        }
    }
}
