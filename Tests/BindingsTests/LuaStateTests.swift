import XCTest
@testable import Bindings
import Engine

/// Swift-side checks of the boundary; most binding behaviour is tested from Lua (Tests/lua).
final class LuaStateTests: XCTestCase {
    func testEvaluateReturnsValues() throws {
        let state = try LuaState()
        XCTAssertEqual(try state.evaluate("return torch.ones(2):sum():item(), 1 + 1").get(), ["2.0", "2"])
    }

    func testEngineErrorsBecomeLuaErrorsWithOpAndPosition() throws {
        let state = try LuaState()
        guard case .failure(let error) = state.evaluate("return torch.zeros(2, 3):matmul(torch.zeros(4, 5))") else {
            return XCTFail("expected an error")
        }
        XCTAssertTrue(error.message.contains("[matmul] inner dimensions differ: (2,3) x (4,5)"), error.message)
        XCTAssertTrue(error.message.hasPrefix("(eval):1: "), error.message)
        // The state is still usable afterwards.
        XCTAssertEqual(try state.evaluate("return 40 + 2").get(), ["42"])
    }

    func testErrorsInsideProtectedCallsAreCatchable() throws {
        let state = try LuaState()
        let result = try state.evaluate("""
            local ok, err = pcall(function() return torch.zeros(2):select(1, 5) end)
            return ok, err
        """).get()
        XCTAssertEqual(result.first, "false")
        XCTAssertTrue(result.last?.contains("[select] index 4 out of range") ?? false, "\(result)")
    }

    func testManyErrorsDoNotLeakTensors() throws {
        let state = try LuaState()
        let before = MemoryStats.liveBytes
        _ = state.evaluate("""
            for i = 1, 2000 do pcall(function() return torch.ones(1000) + torch.ones(7) end) end
            collectgarbage()
        """)
        XCTAssertLessThan(MemoryStats.liveBytes - before, 100_000)
    }
}
