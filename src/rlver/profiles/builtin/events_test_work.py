"""Test-pool life events about work, money and mishaps (disjoint from the training events)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent, make_event
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["TEST_WORK_EVENTS"]


def _e(key: str, **kwargs) -> LifeEvent:  # type: ignore[no-untyped-def]
    return make_event(key, pool="test", **kwargs)


TEST_WORK_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "relocate-or-redundancy",
        topic="being told to move to the Swindon office or take redundancy",
        gist="work told me to move to an office two hundred miles away or take redundancy",
        vague="a work decision",
        story="A fortnight ago {name}'s director, Philippa, called a meeting at {workplace} and announced a "
        "merger: the local site will close in the new year. Staff can transfer to the head office in "
        "Swindon, two hundred miles away, or take redundancy at twelve weeks' pay. {name} has until the end "
        "of next month to choose. {Sub} has worked there eleven years, and {pos} whole life is in {city}.",
        feelings="{Sub} feels betrayed after eleven loyal years, and frightened of choosing wrong.",
        conflict="Moving means leaving everyone {sub} knows; staying means no job and a thin payout in a "
        "slow local market.",
        tried="{Sub} asked Philippa about working remotely and was told it was 'not on the table'; {sub} has "
        "found two local vacancies.",
        now="{Sub} lies awake running numbers and has stopped talking about it at home.",
        angles={
            N.ANALYSIS: "{name} needs to weigh the move against redundancy properly: money, roots, and what "
            "{sub} would give up either way.",
            N.ADVICE: "{name} wants practical steps: what to negotiate, what to ask for, and how to test the "
            "local job market before the deadline.",
            N.EMPATHY: "{name} needs someone to feel the betrayal of eleven loyal years ending in a choice "
            "like this.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} stayed so long in one place and what {sub} "
            "wants next.",
        },
        requires="employed",
        excludes="public_sector",
        min_age=30,
        max_age=60,
    ),
    _e(
        "leaving-email",
        topic="what Tasha wrote about me in {her} leaving email",
        gist="a colleague left and sent the whole team an email more or less blaming me for why {she} quit",
        vague="an email at work",
        story="Last Friday {name}'s colleague Tasha left {workplace} after four years and sent a goodbye "
        "email to forty people. Between the thank-yous was a line: 'special mention to those who made the "
        "last year so hard that leaving was easy', and a reference to 'a certain someone's rota'. {name} "
        "does the rota. Colleagues have been unusually polite since, and one asked {obj} if {sub} was "
        "'okay'.",
        feelings="{Sub} feels publicly accused and unable to answer back.",
        conflict="{Sub} believes {sub} did the rota fairly under impossible staffing, but now doubts how "
        "{sub} came across to Tasha.",
        tried="{Sub} drafted a reply-all and deleted it; {sub} messaged Tasha privately and got no answer.",
        now="{Sub} replays every shift swap of the last year.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand what Tasha was really angry about and why {she} "
            "chose a public email.",
            N.VALIDATION: "{name} is sure the rota was fair given the staffing and wants that confirmed.",
            N.VENTING: "{name} needs to let off steam about the email and the careful politeness since.",
            N.SELF_GROWTH: "{name} wants to look honestly at how {sub} handled Tasha's requests and what "
            "{sub} could do differently.",
        },
        requires="employed",
        min_age=24,
    ),
    _e(
        "flood-insurers",
        topic="the flood and the fight with the insurers",
        gist="a pipe burst while I was away, the ground floor flooded, and the insurers are fighting me on "
        "everything",
        vague="a house thing, a bit of a mess",
        story="Five weeks ago a pipe burst in {name}'s home while {sub} was away for the weekend. {Sub} came "
        "back to water over the skirting boards, a ruined kitchen and a box of family photographs soaked "
        "through. Since then {sub} has dealt with a loss adjuster, three builders and an insurer that "
        "rejected two claims as 'wear and tear'. {Sub} kept every receipt, photographed everything and found "
        "a cheaper builder than the insurer's own.",
        feelings="{Sub} feels exhausted and under siege in {pos} own home, and grieves for the photographs.",
        conflict="{Sub} is fighting for every pound while living in two rooms with dehumidifiers roaring.",
        tried="{Sub} has written three formal complaints, logged every call and got one rejection "
        "overturned.",
        now="{Sub} is waiting for a decision on the kitchen and sleeping badly.",
        angles={
            N.ADVICE: "{name} wants concrete steps to make the insurer pay, including the ombudsman and "
            "which evidence matters.",
            N.VENTING: "{name} needs to vent about five weeks of loss adjusters and 'wear and tear' without "
            "being told it could be worse.",
            N.EMPATHY: "{name} needs someone to understand the lost photographs and the feeling that home is "
            "no longer safe.",
            N.PRAISE: "{name} wants someone to recognise how well {sub} has handled it: every receipt, every "
            "photo, one rejection already overturned.",
        },
        excludes="renter student lives_with_parents",
        min_age=25,
    ),
    _e(
        "twins-cafe",
        topic="bailing out my twin's café",
        gist="I lent my twin five thousand to save {his} café and now {he} wants eight more",
        vague="a family money thing",
        story="Eight months ago {name}'s twin brother, Leo, opened a café on the high street with {his} "
        "savings. In the spring {name} lent {him} five thousand to cover a bad quarter. Last week Leo asked "
        "for another eight 'to get through winter' and said the café would close without it. {name} has seen "
        "the books: takings are down a third. Their parents think {name} should help 'because family is "
        "family'.",
        feelings="{Sub} feels cornered and guilty, and scared for Leo.",
        conflict="Saying no might end the café and sour things between them; saying yes might mean losing "
        "thirteen thousand.",
        tried="{Sub} suggested seeing a business adviser together; Leo said {name} did not believe in {him}.",
        now="{Sub} has not answered, and Leo has stopped texting.",
        angles={
            N.ADVICE: "{name} wants practical options: conditions on a loan, outside help, or a kind way to "
            "say no.",
            N.ANALYSIS: "{name} needs to weigh the money, the café's real chances and the relationship with "
            "Leo clearly.",
            N.VALIDATION: "{name} is sure asking for a proper plan first is reasonable and wants to hear "
            "that it is not a betrayal.",
            N.EMPATHY: "{name} needs someone to understand being asked to choose between {pos} twin and "
            "{pos} own security.",
        },
        excludes="student",
        min_age=25,
        max_age=60,
    ),
    _e(
        "graduate-scheme-rejection",
        topic="being turned down by the graduate scheme for the third time",
        gist="I got rejected from the graduate scheme again, third year running",
        vague="some applications",
        story="For three years {name} has applied to the same civil-service graduate scheme. This year {sub} "
        "got through the tests and the video interview to the final assessment day for the first time, after "
        "weeks of practice with a careers adviser, Mr Dunmore. On Tuesday the email came: 'not successful on "
        "this occasion', with no feedback. Two friends from {pos} course got offers.",
        feelings="{Sub} feels crushed and stuck, and embarrassed in front of friends.",
        conflict="{Sub} cannot tell whether to try a fourth time or give up on the career {sub} has planned "
        "since school.",
        tried="{Sub} asked for feedback twice and got a template reply; {sub} has looked at other schemes "
        "without enthusiasm.",
        now="{Sub} has stopped opening job emails.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the disappointment of getting so close for the first "
            "time and still failing.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} could do differently, and whether this "
            "path is really {pos} own.",
            N.ADVICE: "{name} wants concrete next steps: feedback, alternatives, or a better plan for a "
            "fourth attempt.",
            N.PRAISE: "{name} wants someone to recognise three years of persistence and getting further than "
            "ever.",
        },
        excludes="self_employed",
        min_age=21,
        max_age=28,
    ),
    _e(
        "roundabout-crash",
        topic="the crash on the roundabout",
        gist="a van drove into me on a roundabout and I haven't been right behind the wheel since",
        vague="a bit of a bump, a while back",
        story="Six weeks ago a van went into the side of {name}'s car on a roundabout. {Sub} walked away "
        "with whiplash and bruises; the van driver admitted fault at the scene, then changed {his} story to "
        "the insurers. Since then {name} drives the long way round to avoid roundabouts, grips the wheel and "
        "jumps at horns. A friend told {obj} to 'get straight back on the horse'.",
        feelings="{Sub} feels jumpy and embarrassed, and angry that the driver is lying.",
        conflict="{Sub} needs the car every day, but every drive is tense, and the insurance fight keeps it "
        "fresh.",
        tried="{Sub} found a witness through a local appeal and has done a few short drives with the radio "
        "off.",
        now="{Sub} has cancelled two trips to see friends.",
        angles={
            N.EMPATHY: "{name} needs someone to understand how shaken {sub} still is, not to hear 'at least "
            "nobody was hurt'.",
            N.VALIDATION: "{name} is sure the crash was not {pos} fault and wants to hear it plainly.",
            N.ADVICE: "{name} wants practical steps for the insurance dispute and for getting confident "
            "behind the wheel again.",
            N.VENTING: "{name} needs to rant about the van driver's changed story.",
        },
        excludes="student",
        min_age=25,
        max_age=80,
    ),
    _e(
        "acting-manager",
        topic="being made acting manager and the team turning on me",
        gist="they made me acting manager and my old teammates have turned on me",
        vague="a promotion, sort of",
        story="Two months ago {name}'s manager at {workplace} went on long-term sick leave, and {name} was "
        "asked to step up as acting manager. {Sub} has kept things running: filled every rota gap, handled a "
        "formal complaint and cut overtime costs by a fifth, as asked. But {pos} old friends on the team "
        "have stopped inviting {obj} for drinks, and one, Darius, said in a meeting that {name} had "
        "'changed'.",
        feelings="{Sub} feels lonely in the middle and unsure whether {sub} is any good at this.",
        conflict="{Sub} has to make unpopular decisions while keeping friendships {sub} values.",
        tried="{Sub} bought a round to clear the air; Darius didn't come.",
        now="{Sub} eats lunch alone and wonders whether to apply for the post permanently.",
        angles={
            N.ADVICE: "{name} wants practical ways to lead old friends fairly and rebuild trust with Darius.",
            N.ANALYSIS: "{name} needs to weigh applying for the post permanently against going back to the "
            "team.",
            N.PRAISE: "{name} wants someone to recognise two months of filled rotas, a complaint handled and "
            "a fifth cut from overtime.",
            N.SELF_GROWTH: "{name} wants to understand how the role is changing {obj} and what kind of "
            "leader {sub} wants to be.",
        },
        requires="employed",
        excludes="manager",
        min_age=24,
    ),
    _e(
        "quit-without-plan",
        topic="wanting to quit my job with nothing lined up",
        gist="I want to hand in my notice with nothing lined up, and everyone thinks I've lost it",
        vague="work, and whether to stay",
        story="For a year {name} has dreaded Sunday evenings. Last month {sub} sat in the car park outside "
        "{workplace} for twenty minutes before {sub} could go in. {Sub} has six months of savings and a "
        "half-formed plan to take a few months off and retrain. {Pos} family says 'nobody likes their job'; "
        "a friend, Yusuf, says 'just do it'.",
        feelings="{Sub} feels trapped and reckless in turns, and ashamed of not coping with an ordinary job.",
        conflict="Staying is slowly wearing {obj} down; leaving without a plan feels irresponsible.",
        tried="{Sub} took a week off, which helped for two days, and looked at courses without applying.",
        now="{Sub} has a resignation letter saved in drafts.",
        angles={
            N.ANALYSIS: "{name} needs to weigh the risks of leaving now against the cost of staying, "
            "honestly and in numbers.",
            N.SELF_GROWTH: "{name} wants to understand what exactly is wearing {obj} down and what {sub} "
            "wants instead.",
            N.ADVICE: "{name} wants a concrete plan: what to test before resigning and how to use the "
            "savings well.",
            N.EMPATHY: "{name} needs someone to understand how heavy every Sunday evening has become.",
        },
        requires="employed",
        min_age=26,
        max_age=55,
    ),
)
