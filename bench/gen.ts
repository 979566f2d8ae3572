// Workload generators for the benchmark suite. Everything is deterministic (no randomness), so two
// runs measure the same inputs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A ~`lines`-line nginx.conf: one http block with many server/location blocks. It ends with one
 * stray "}" so the file always carries one parse/error finding: Headroom only publishes diagnostics
 * for files with findings (or that just lost them), so without it there would be nothing to wait for.
 * Returns the text and the offset of the "60s" the edits toggle (to "600s" and back: the length changes, as typing does).
 */
export function nginxConf(lines: number): { text: string; editAt: number } {
  const out: string[] = [
    "user nginx;",
    "worker_processes auto;",
    "events {",
    "  worker_connections 1024;",
    "}",
    "http {",
    "  include mime.types;",
    "  sendfile on;",
    "  keepalive_timeout 65;",
  ];
  const body: string[] = [];
  let i = 0;
  while (out.length + body.length < lines - 3) {
    body.push(
      "  server {",
      `    listen ${8000 + (i % 1000)};`,
      `    server_name app${i}.example.com;`,
      "    client_max_body_size 10m;",
      "    location / {",
      `      proxy_pass http://127.0.0.1:${9000 + (i % 1000)};`,
      "      proxy_set_header Host $host;",
      "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "      proxy_read_timeout 60s;",
      "    }",
      "    location /static/ {",
      `      alias /srv/app${i}/static/;`,
      "      expires 7d;",
      "    }",
      "  }",
    );
    i++;
  }
  const text = `${[...out, ...body, "}", "}", ""].join("\n")}`;
  // Edit the proxy_read_timeout of the server block in the middle of the file.
  const mid = text.indexOf("proxy_read_timeout 60s;", Math.floor(text.length / 2));
  return { text, editAt: mid + "proxy_read_timeout ".length };
}

/**
 * A ~`lines`-line docker-compose.yml: many services, each sized 3 gunicorn workers on 1 CPU (clean),
 * and the first one 8 workers on 1 CPU (a workers/exceed-cpu finding, so the file is always published).
 * The edits toggle the worker count of the service in the middle between 2 and 3 ("-w 3" <-> "-w 2").
 */
export function composeYml(lines: number): { text: string; editAt: number } {
  const out: string[] = ["services:"];
  let i = 0;
  const svcLines = 20;
  while (out.length + svcLines <= lines) {
    const w = i === 0 ? 8 : 3;
    out.push(
      `  svc-${String(i).padStart(4, "0")}:`,
      `    image: registry.example.com/svc-${i}:latest`,
      `    command: gunicorn -w ${w} -k uvicorn.workers.UvicornWorker --timeout 120 --bind 0.0.0.0:8000 app${i}.main:app`,
      "    environment:",
      `      SERVICE_NAME: svc-${i}`,
      `      DATABASE_URL: postgres://app:secret@db:5432/app${i}`,
      "      LOG_LEVEL: info",
      "    ports:",
      `      - "${10000 + i}:8000"`,
      "    depends_on:",
      "      - db",
      "    deploy:",
      "      replicas: 2",
      "      resources:",
      "        limits:",
      "          memory: 512M",
      "          cpus: '1.0'",
      "    healthcheck:",
      `      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]`,
      "      interval: 30s",
    );
    i++;
  }
  const text = `${out.join("\n")}\n`;
  const mid = text.indexOf("gunicorn -w 3", Math.floor(text.length / 2));
  return { text, editAt: mid + "gunicorn -w ".length };
}

const START_SH_UVICORN = "#!/bin/sh\nset -e\nexec uvicorn main:app --host 0.0.0.0 --port ${PORT:-10000}\n";

export function serviceJson(cpu: string, memory: string, startCommand = "./start.sh", env: Record<string, string> = {}): string {
  return `${JSON.stringify(
    {
      ServiceName: "api",
      SourceConfiguration: {
        ImageRepository: {
          ImageIdentifier: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest",
          ImageRepositoryType: "ECR",
          ImageConfiguration: { Port: "10000", StartCommand: startCommand, RuntimeEnvironmentVariables: env },
        },
        AutoDeploymentsEnabled: false,
      },
      InstanceConfiguration: { Cpu: cpu, Memory: memory },
    },
    null,
    2,
  )}\n`;
}

/**
 * A 10-file deployment directory. service.json (2 vCPU) runs start.sh (one uvicorn process), so
 * start.sh carries workers/single-process; toggling Cpu to "1 vCPU" clears it.
 */
export function tenFileDeployment(dir: string): { files: string[]; serviceJson: string } {
  mkdirSync(dir, { recursive: true });
  const svc = serviceJson("2 vCPU", "4 GB");
  const files: Record<string, string> = {
    "service.json": svc,
    "start.sh": START_SH_UVICORN,
    Dockerfile: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["./start.sh"]\n',
    "docker-compose.yml":
      "services:\n  api:\n    build: .\n    command: ./start.sh\n    env_file: .env\n    ports:\n      - \"10000:10000\"\n  worker:\n    build: .\n    command: celery -A app worker --concurrency 2\n    deploy:\n      resources:\n        limits:\n          cpus: '1.0'\n          memory: 1G\n",
    "docker-compose.override.yml": "services:\n  api:\n    environment:\n      LOG_LEVEL: debug\n",
    "nginx.conf":
      "events {\n  worker_connections 1024;\n}\nhttp {\n  server {\n    listen 80;\n    location / {\n      proxy_pass http://127.0.0.1:10000;\n    }\n  }\n}\n",
    ".env": "PORT=10000\nLOG_LEVEL=info\nDATABASE_URL=postgres://app:secret@db:5432/app\n",
    Procfile: "web: ./start.sh\n",
    "gunicorn.conf.py": "bind = '0.0.0.0:10000'\ntimeout = 120\n",
    "postgresql.conf": "max_connections = 100\nshared_buffers = 128MB\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { files: Object.keys(files), serviceJson: svc };
}

/**
 * A monorepo of `deployments` deployment directories, 10 files each: docker-compose.yml, Dockerfile,
 * start.sh, service.json, nginx.conf, .env and four filler files (not deployment files). Sizing varies
 * with the index so some deployments have findings and some do not.
 */
export function monorepo(root: string, deployments: number): number {
  let count = 0;
  const put = (path: string, text: string) => {
    writeFileSync(path, text);
    count++;
  };
  for (let i = 0; i < deployments; i++) {
    const group = `group-${String(Math.floor(i / 50)).padStart(3, "0")}`;
    const dir = join(root, "services", group, `svc-${String(i).padStart(4, "0")}`);
    mkdirSync(join(dir, "app"), { recursive: true });
    const cpu = ["0.25 vCPU", "1 vCPU", "2 vCPU", "4 vCPU"][i % 4] as string;
    const workers = [1, 3, 5, 9][(i >> 2) % 4] as number;
    const server = i % 3 === 0 ? "uvicorn" : "gunicorn";
    const cmd =
      server === "uvicorn"
        ? "exec uvicorn app.main:app --host 0.0.0.0 --port ${PORT:-8080}"
        : "WORKERS=${GUNICORN_WORKERS:-3}\nexec gunicorn app.main:app \\\n  --workers ${WORKERS} \\\n  --worker-class uvicorn.workers.UvicornWorker \\\n  --bind 0.0.0.0:${PORT:-8080} \\\n  --timeout 120";
    put(join(dir, "start.sh"), `#!/bin/sh\nset -e\ncd /app\n${cmd}\n`);
    put(join(dir, "service.json"), serviceJson(cpu, "2 GB", "./start.sh", { GUNICORN_WORKERS: String(workers), LOG_LEVEL: "info" }));
    put(
      join(dir, "Dockerfile"),
      `FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8080\nCMD ["./start.sh"]\n`,
    );
    put(
      join(dir, "docker-compose.yml"),
      `services:\n  api:\n    build: .\n    command: gunicorn -w ${workers} -k uvicorn.workers.UvicornWorker app.main:app\n    env_file: .env\n    ports:\n      - "${8000 + (i % 1000)}:8080"\n    deploy:\n      resources:\n        limits:\n          cpus: '${(i % 4) + 1}.0'\n          memory: 1G\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: secret\n`,
    );
    put(
      join(dir, "nginx.conf"),
      `worker_processes auto;\nevents {\n  worker_connections 1024;\n}\nhttp {\n  upstream app {\n    server 127.0.0.1:8080;\n  }\n  server {\n    listen 80;\n    server_name svc-${i}.example.com;\n    location / {\n      proxy_pass http://app;\n      proxy_set_header Host $host;\n      proxy_read_timeout 60s;\n    }\n  }\n}\n`,
    );
    put(join(dir, ".env"), `PORT=8080\nLOG_LEVEL=info\nGUNICORN_WORKERS=${workers}\nDATABASE_URL=postgres://app:secret@db:5432/svc${i}\n`);
    put(join(dir, "README.md"), `# svc-${i}\n\nService ${i} of the benchmark monorepo.\n`);
    put(join(dir, "requirements.txt"), "fastapi==0.115.0\nuvicorn==0.30.6\ngunicorn==23.0.0\n");
    put(join(dir, "app", "main.py"), `from fastapi import FastAPI\n\napp = FastAPI(title="svc-${i}")\n\n\n@app.get("/health")\ndef health():\n    return {"ok": True}\n`);
    put(join(dir, ".dockerignore"), ".git\n__pycache__\n.venv\n");
  }
  return count;
}
