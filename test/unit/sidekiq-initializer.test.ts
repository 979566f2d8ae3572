import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSidekiqInitializer } from "../../server/src/engine/parse/sidekiq-initializer.ts";

const read = (text: string) => parseSidekiqInitializer(text, "config/initializers/sidekiq.rb").map((c) => [c.name, c.threads?.value, c.threads && text.slice(c.threads.at?.start, c.threads.at?.end)]);

describe("config/initializers/sidekiq.rb capsules, read as text", () => {
  test("do/end and brace blocks, string and symbol names, any block variable", () => {
    const text = 'Sidekiq.configure_server do |config|\n  config.capsule("exports") do |cap|\n    cap.queues = %w[exports]\n    cap.concurrency = 5\n  end\n  config.capsule(:serial) { |c| c.concurrency = 1 }\n  config.capsule(\'bulk\') { |x| x.concurrency=12; x.queues = ["bulk"] }\nend\n';
    assert.deepEqual(read(text), [["exports", 5, "5"], ["serial", 1, "1"], ["bulk", 12, "12"]]);
  });

  test("comments, computed counts, the default capsule and client-only files give nothing", () => {
    assert.deepEqual(read('Sidekiq.configure_server do |config|\n  config.capsule("a") do |cap|\n    # cap.concurrency = 9\n    cap.concurrency = ENV.fetch("A", 3).to_i\n  end\nend\n'), [["a", undefined, undefined]]);
    assert.deepEqual(read('Sidekiq.configure_server do |config|\n  config.capsule("default") { |cap| cap.concurrency = 4 }\nend\n'), []);
    assert.deepEqual(read('Sidekiq.configure_client do |config|\n  config.capsule("a") { |cap| cap.concurrency = 4 }\nend\n'), []);
    assert.deepEqual(read('Sidekiq.configure_server do |config|\n  config.capsule("a") { |cap| cap.concurrency = 4.5 }\nend\n'), [["a", undefined, undefined]]);
  });

  test("a `#` inside a string is no comment", () => {
    const text = 'Sidekiq.configure_server do |config|\n  config.capsule("a") { |cap| cap.queues = ["#{ENV["Q"]}"]; cap.concurrency = 2 }\nend\n';
    assert.deepEqual(read(text), [["a", 2, "2"]]);
  });
});
