// Action Cable in a Rails app's Puma processes (model/action-cable.ts): its worker pool's threads check out connections too.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectionBudgets, shareFormula } from "../../server/src/engine/model/budget.ts";
import { buildModel } from "../../server/src/engine/model/build.ts";
import { memoryHost } from "../helpers/memory-host.ts";

const PUMA_RB = 'threads_count = ENV.fetch("RAILS_MAX_THREADS", 3)\nthreads threads_count, threads_count\nport ENV.fetch("PORT", 3000)\n';
const DATABASE_YML = "production:\n  adapter: postgresql\n  url: <%= ENV[\"DATABASE_URL\"] %>\n  pool: <%= ENV.fetch(\"RAILS_MAX_THREADS\") { 10 } %>\n";

function web(files: Record<string, string>) {
  const host = memoryHost({ Procfile: "web: bundle exec puma -C config/puma.rb\n", "config/puma.rb": PUMA_RB, "config/database.yml": DATABASE_YML, ".env": "DATABASE_URL=postgres://db/app\n", ...files });
  const model = buildModel(host, host.list(), []);
  return { process: model.deployments[0].processes[0], share: connectionBudgets(model)[0]?.shares[0] };
}

describe("Action Cable", () => {
  it("config/cable.yml: each Puma process runs Rails' 4 worker threads beside its request threads, up to the pool", () => {
    const without = web({});
    assert.equal(without.process.actionCable, undefined);
    assert.equal(without.share?.perProcess, 3);
    const { process, share } = web({ "config/cable.yml": "production:\n  adapter: redis\n" });
    assert.deepEqual([process.actionCable?.workers.value, process.actionCable?.workers.origin, process.actionCable?.at.file], [4, "default", "config/cable.yml"]);
    assert.equal(share?.perProcess, 3 + 4);
    assert.equal(share && shareFormula(share), "1 puma process x 7 (3 puma threads + 4 Action Cable workers, one connection each at most, below pool 10)");
  });

  it("reads worker_pool_size from the environment's file, then config/application.rb; a nil mount_path leaves it to a standalone server", () => {
    const sized = web({ "config/cable.yml": "production:\n  adapter: redis\n", "config/environments/production.rb": 'Rails.application.configure do\n  config.action_cable.worker_pool_size = ENV.fetch("CABLE_WORKERS", 2).to_i\nend\n' });
    assert.deepEqual([sized.process.actionCable?.workers.value, sized.share?.perProcess], [2, 5]);
    const fromApplication = web({ "config/cable.yml": "production:\n  adapter: redis\n", "config/application.rb": "module App\n  class Application < Rails::Application\n    config.action_cable.worker_pool_size = 12 # busy channels\n  end\nend\n" });
    assert.equal(fromApplication.process.actionCable?.workers.value, 12);
    // 3 + 12 fill the pool of 10: counted at the pool, and the message says what fills it.
    assert.equal(fromApplication.share?.perProcess, 10);
    assert.equal(fromApplication.share && shareFormula(fromApplication.share), "1 puma process x pool 10 (3 puma threads + 12 Action Cable workers can fill it)");
    const standalone = web({ "config/cable.yml": "production:\n  adapter: redis\n", "config/environments/production.rb": "Rails.application.configure do\n  config.action_cable.mount_path = nil\nend\n" });
    assert.equal(standalone.process.actionCable, undefined);
    // A trailing `if Rails.env.production?` (or `unless`) counts the value where it holds for the service's environment.
    const modified = (line: string) => web({ "config/cable.yml": "production:\n  adapter: redis\n", "config/application.rb": `module App\n  class Application < Rails::Application\n    ${line}\n  end\nend\n` }).process.actionCable?.workers.value;
    assert.deepEqual(
      [modified("config.action_cable.worker_pool_size = 8 if Rails.env.production?"), modified("config.action_cable.worker_pool_size = 8 unless Rails.env.production?"), modified('config.action_cable.worker_pool_size = 8 if File.exist?("x")')],
      [8, 4, 4],
    );
    // Blocks: the branch the environment runs (`if Rails.env.development?` … `else` … `end`); under another test, nothing.
    assert.deepEqual(
      [
        modified("if Rails.env.development?\n      config.action_cable.worker_pool_size = 20\n    else\n      config.action_cable.worker_pool_size = 6\n    end"),
        modified("if ENV['BUSY_CHANNELS']\n      config.action_cable.worker_pool_size = 20\n    end"),
        modified("if File.exist?('x')\n      config.action_cable.worker_pool_size = 20\n    end"),
      ],
      [6, 4, 4],
    );
  });

  it("without config/cable.yml, a `mount ActionCable.server` line in config/routes.rb", () => {
    const { process } = web({ "config/routes.rb": 'Rails.application.routes.draw do\n  mount ActionCable.server => "/cable"\nend\n' });
    assert.equal(process.actionCable?.at.file, "config/routes.rb");
    assert.equal(web({ "config/routes.rb": "Rails.application.routes.draw do\n  root \"home#index\"\nend\n" }).process.actionCable, undefined);
  });
});
