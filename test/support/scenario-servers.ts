/**
 * The scenario fixtures on in-process FHIR servers, for the tests that fetch every scenario instead of
 * receiving it as prefetch. The MemoryRepository of src/demo/fhir-server.ts answers a search by evaluating
 * the search parameter on every stored resource of the type (a `patient=` search on Observation costs a few
 * milliseconds per stored Observation), so one server holding all scenarios made each hook call cost seconds
 * of CPU. Here the scenarios are dealt round-robin onto a few servers: every search still runs
 * among other patients' resources (which it must leave out), at a fraction of the cost.
 *
 * Draft orders (MedicationRequest) are hook context, not chart data (test/fixtures/README.md): they are not stored.
 */
import { startFhirServer, type FhirTestServer } from './fhir-server';
import { loadBundle, resourcesOf, scenarios, type Scenario } from './scenarios';

/** Patients per server: each search runs among the data of this many patients. */
export const PATIENTS_PER_SERVER = 4;

export interface ScenarioServers {
  /** Every server, in the order the scenarios were dealt. */
  readonly servers: readonly FhirTestServer[];
  /** The server that holds the scenario's resources. */
  serverFor(s: Scenario): FhirTestServer;
  close(): Promise<void>;
}

/** Starts the servers (each with `bearerToken`) and seeds each with its scenarios' resources. */
export async function startScenarioServers(options: { readonly bearerToken: string }): Promise<ScenarioServers> {
  const count = Math.ceil(scenarios.length / PATIENTS_PER_SERVER);
  const servers = await Promise.all(Array.from({ length: count }, () => startFhirServer({ bearerToken: options.bearerToken })));
  const byFile = new Map<string, FhirTestServer>();
  for (const [i, s] of scenarios.entries()) {
    const server = servers[i % count] as FhirTestServer;
    byFile.set(s.file, server);
    await server.seed(resourcesOf(loadBundle(s.file)).filter((r) => r.resourceType !== 'MedicationRequest'));
  }
  return {
    servers,
    serverFor(s) {
      const server = byFile.get(s.file);
      if (server === undefined) throw new Error(`no server holds ${s.file}`);
      return server;
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
