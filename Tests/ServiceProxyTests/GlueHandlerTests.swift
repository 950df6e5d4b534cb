import NIOCore
import NIOEmbedded
import Testing

@testable import ServiceProxy

/// Sits at the head of a pipeline and records the outbound operations that reach the "socket".
private final class OutboundRecorder: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    var closes: [CloseMode] = []

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closes.append(mode)
        // EmbeddedChannel cannot half-close; let only full closes through.
        if mode == .all {
            context.close(mode: mode, promise: promise)
        } else {
            promise?.succeed(())
        }
    }
}

private struct Pair {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let backend: EmbeddedChannel
    let clientSocket = OutboundRecorder()
    let backendSocket = OutboundRecorder()

    init() throws {
        client = EmbeddedChannel(loop: loop)
        backend = EmbeddedChannel(loop: loop)
        let (a, b) = GlueHandler.matchedPair(firstBytes: nil, secondBytes: nil)
        try client.pipeline.syncOperations.addHandlers([clientSocket, a])
        try backend.pipeline.syncOperations.addHandlers([backendSocket, b])
    }
}

@Suite struct GlueHandlerTests {
    @Test func bytesCrossInBothDirections() throws {
        let p = try Pair()
        try p.client.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        #expect(try p.backend.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        try p.backend.writeInbound(ByteBuffer(bytes: [0, 1, 2, 255]))
        #expect(try p.client.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0, 1, 2, 255]))
        #expect(try p.client.readOutbound(as: ByteBuffer.self) == nil)
        #expect(try p.client.finish().isClean)
        #expect(try p.backend.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test func halfCloseBecomesShutdownOfTheOtherSidesOutput() throws {
        let p = try Pair()
        p.client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(p.backendSocket.closes == [.output])
        #expect(p.clientSocket.closes == [])
        // The backend still answers and its bytes still reach the client.
        try p.backend.writeInbound(ByteBuffer(string: "reply"))
        #expect(try p.client.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "reply"))
        // Backend EOF: both directions are done, so both sides close fully.
        p.backend.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(p.clientSocket.closes == [.all])
        #expect(p.backendSocket.closes == [.output, .all])
        #expect(!p.backend.isActive)
        #expect(!p.client.isActive)
    }

    @Test func readsPauseWhileThePartnerIsNotWritable() throws {
        let p = try Pair()
        p.backend.isWritable = false
        p.client.read()
        #expect(p.clientSocket.reads == 0)
        p.backend.isWritable = true
        p.backend.pipeline.fireChannelWritabilityChanged()
        #expect(p.clientSocket.reads == 1)
        // Writable partner: reads pass straight through.
        p.client.read()
        #expect(p.clientSocket.reads == 2)
        #expect(try p.client.finish().isClean)
        #expect(try p.backend.finish(acceptAlreadyClosed: true).isClean)
    }

    @Test func closingOneSideClosesTheOther() throws {
        let p = try Pair()
        try p.client.close().wait()
        #expect(!p.backend.isActive)
        #expect(p.backendSocket.closes == [.all])
        _ = try p.backend.finish(acceptAlreadyClosed: true)
    }

    @Test func errorsCloseBothSides() throws {
        let p = try Pair()
        p.backend.pipeline.fireErrorCaught(ChannelError.ioOnClosedChannel)
        #expect(!p.client.isActive)
        #expect(!p.backend.isActive)
    }
}
