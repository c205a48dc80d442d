import AsyncHTTPClient
import Foundation
import KubeAPI
import Logging
import NIOHTTP1
import NIOCore

extension KubeClient {
    /// Watches a kind: a stream of typed events from the server's chunked `watch=true` response.
    ///
    /// - Parameters:
    ///   - namespace: `nil` watches all namespaces of a namespaced kind.
    ///   - resourceVersion: where to start. `nil` or `"0"`: the server first sends ADDED for every current object;
    ///     a resourceVersion from a LIST: only changes after it.
    ///   - allowBookmarks: ask for BOOKMARK events, which let a re-watch resume from a recent resourceVersion.
    ///   - timeout: the server ends the stream (cleanly) after this long; `nil` leaves it to the server.
    /// - Returns: a stream that ends when the server closes the watch. It throws `KubeClientError.gone` when the
    ///   resourceVersion is too old (re-list, then watch again), other `KubeClientError`s for failures. Stopping
    ///   the iteration cancels the request.
    public func watch<K: KubeObject>(_ type: K.Type, namespace: String? = nil, labelSelector: String? = nil,
                                     fieldSelector: String? = nil, resourceVersion: String? = nil,
                                     allowBookmarks: Bool = false,
                                     timeout: Duration? = nil) -> AsyncThrowingStream<WatchEvent<K>, any Error> {
        var query: [(String, String)] = [("watch", "true")]
        query += ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector).selectorQuery
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeout { query.append(("timeoutSeconds", String(max(1, timeout.components.seconds)))) }
        let path = K.resource.collectionPath(namespace: K.resource.namespaced ? namespace : nil)
        let request = Request(method: .GET, path: path, query: query)
        // The request lives as long as the stream; the deadline only guards against a server that never ends it.
        let deadline: NIODeadline = timeout.map { .now() + $0.timeAmount + .seconds(60) } ?? .distantFuture
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<K>, any Error>.makeStream()
        let task = Task {
            do {
                try await self.stream(request, deadline: deadline, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Sends the watch request and feeds its body through a `WatchEventParser` into `continuation`.
    private func stream<K: KubeObject>(_ request: Request, deadline: NIODeadline,
                                       into continuation: AsyncThrowingStream<WatchEvent<K>, any Error>.Continuation) async throws(KubeClientError) {
        var parser = WatchEventParser<K>(request: request.description, omittingManagedFields: configuration.omitsManagedFields,
                                         shared: configuration.sharedWatchDecoding)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(httpRequest(request), deadline: deadline, logger: logger)
        } catch {
            throw .transport(request: request.description, cause: KubeClientError.naming(error, server: configuration.server))
        }
        let code = Int(response.status.code)
        guard (200..<300).contains(code) else {
            let body = try? await response.body.collect(upTo: 1 << 20)
            throw KubeClientError.fromResponse(code: code, body: body.map { Array($0.readableBytesView) } ?? [],
                                               request: request.description)
        }
        logger.debug("watch started", metadata: ["request": "\(request)"])
        do {
            for try await chunk in response.body {
                try parser.feed(chunk.readableBytesView) { continuation.yield($0) }
            }
        } catch let error as KubeClientError {
            throw error
        } catch {
            throw .transport(request: request.description, cause: error)
        }
        if let last = try parser.finish() { continuation.yield(last) }
        logger.debug("watch ended", metadata: ["request": "\(request)"])
    }
}
