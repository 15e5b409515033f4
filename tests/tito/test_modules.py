"""Module discovery and name resolution."""

from pathlib import Path

import pytest

from tito.course import Course
from tito.errors import SourceError, TitoError
from tito.modules import with_prerequisites


def test_modules_are_discovered_in_number_order(mini_course):
    """Does tito find every module.yaml and order the modules by number?"""
    assert [m.slug for m in mini_course.modules] == ["01_alpha", "02_beta"]
    beta = mini_course.module("beta")
    assert beta.prerequisites == ("alpha",)
    assert beta.exports == ("core.beta",)
    assert (beta.auto_points, beta.manual_points) == (4, 0)


@pytest.mark.parametrize("name", ["alpha", "01_alpha", "01", "1", "ALPHA"])
def test_a_module_can_be_named_three_ways(mini_course, name):
    """Do `alpha`, `01_alpha` and `01` all name the same module?"""
    assert mini_course.module(name).slug == "01_alpha"


def test_an_unknown_name_lists_the_known_modules(mini_course):
    """Does a typo get an answer that shows what exists?"""
    with pytest.raises(TitoError, match=r"unknown module 'gamma'.*01_alpha \(alpha\).*02_beta \(beta\)"):
        mini_course.module("gamma")


def test_prerequisites_come_first(mini_course):
    """Are a module's prerequisites listed before it, in course order?"""
    beta = mini_course.module("beta")
    assert [m.name for m in with_prerequisites(mini_course.modules, beta)] == ["alpha", "beta"]


def test_a_folder_that_disagrees_with_its_yaml_is_an_error(mini_course):
    """Does a module.yaml whose number does not match its folder stop discovery with the file named?"""
    yaml_path = mini_course.module("beta").yaml_path
    yaml_path.write_text(yaml_path.read_text().replace("number: 2", "number: 7"))
    with pytest.raises(SourceError, match="folder is '02_beta' but name and number say '07_beta'") as error:
        Course.load(mini_course.paths.root)
    assert error.value.path == yaml_path


def test_an_unknown_prerequisite_is_an_error(mini_course):
    """Is a prerequisite that names no module reported?"""
    yaml_path = mini_course.module("beta").yaml_path
    yaml_path.write_text(yaml_path.read_text().replace("[alpha]", "[alpha, omega]"))
    with pytest.raises(SourceError, match="unknown prerequisite 'omega'"):
        Course.load(mini_course.paths.root)


def test_a_folder_without_modules_is_not_a_course(tmp_path: Path):
    """Is pointing tito at the wrong folder a clear error rather than an empty course?"""
    with pytest.raises(TitoError, match="no modules/ folder"):
        Course.load(tmp_path)
