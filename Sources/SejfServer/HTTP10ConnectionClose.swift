import NIOCore
import NIOHTTP1

/// Closes an HTTP/1.0 connection after its answer, as HTTP/1.0 requires unless the client asked
/// for keep-alive.
///
/// Hummingbird 2 converts NIO's request head to Swift HTTP Types, which carry no version, and
/// closes a connection only after a request with `Connection: close`. This handler sits just
/// after NIO's request decoder, where the version is still known, and gives an HTTP/1.0 request
/// without a `Connection` header that header. A request that has one is passed on unchanged: a
/// signed header must reach SigV4 as the client sent it.
///
/// Hummingbird adds its extra channel handlers after its own codec, so what it is given is an
/// ``Installer`` that moves this handler to its place when it joins the pipeline.
final class HTTP10ConnectionClose: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data), head.version == .http1_0,
              !head.isKeepAlive, !head.headers.contains(name: "connection") else {
            return context.fireChannelRead(data)
        }
        head.headers.add(name: "Connection", value: "close")
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// Puts an ``HTTP10ConnectionClose`` right after the HTTP/1 request decoder, then leaves.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = Never

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self) {
                try? pipeline.addHandler(HTTP10ConnectionClose(), position: .after(decoder.handler))
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
