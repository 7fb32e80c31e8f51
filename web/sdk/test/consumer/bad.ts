// Calls the types must refuse: the package's tests expect tsc to fail on this file, so a
// declaration that degrades to any cannot go unnoticed.
import { Passkeyd } from "@passkeyd/browser";

const pk = new Passkeyd({ auth: "session" });
pk.signIn({ username: 42 });
const n: number = await pk.listPasskeys();
