"""Training-pool life events about study, health, money, home and later life (see ``_types``)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent
from rlver.profiles.builtin._types import make_event as _e
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["LIFE_EVENTS"]

LIFE_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "failed-exams",
        topic="failing two of my exams",
        gist="I failed two of my exams and I have to resit in eight weeks or repeat the year",
        vague="uni stuff, exams",
        story="Results came out last Thursday: {name} failed two of {pos} five exams, one by three marks. "
        "The resits are in eight weeks; failing again means repeating the year and paying for it. {Pos} "
        "parents, who tell everyone how proud they are, think {sub} passed everything; {sub} told them "
        "'results aren't out yet'. {Pos} friends all passed and are planning a fortnight in Greece.",
        feelings="{Sub} feels ashamed and panicky, and lies awake composing the call to {pos} parents.",
        conflict="{Sub} needs to tell {pos} parents and start revising, but every day {sub} waits makes both "
        "harder.",
        tried="{Sub} emailed the module leader, Dr Ashworth, for feedback and booked a library room {sub} "
        "then never used.",
        now="{Sub} sleeps till noon and tells friends everything is fine.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the shame and the panic without being told 'it's only "
            "exams'.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} fell behind and what {sub} avoids when "
            "things get hard.",
            N.ADVICE: "{name} wants a concrete plan for the resits and for telling {pos} parents.",
            N.VALIDATION: "{name} is sure {sub} worked hard and that one paper tested things never taught, "
            "and wants that confirmed.",
        },
        requires="student",
    ),
    _e(
        "group-project-solo",
        topic="doing the whole group project on my own",
        gist="I basically did our whole group project on my own and we all get the same mark",
        vague="uni stuff",
        story="For six weeks {name} chased three teammates for their sections of a group project worth forty "
        "per cent of the module. Two sent nothing; one sent a page copied from a website. {Sub} rewrote the "
        "lot over two all-nighters and submitted it a minute before the deadline. The mark came back last "
        "week: 74, the highest in the year. One teammate, Bradley, posted 'teamwork makes the dream work'.",
        feelings="{Sub} feels proud of the work and furious about who is sharing the credit.",
        conflict="{Sub} could report the others to the module leader, but it would make {obj} 'that person' "
        "for the rest of the course.",
        tried="{Sub} kept screenshots of every unanswered message and has drafted an email to the module "
        "leader.",
        now="{Sub} sits apart from the group in lectures.",
        angles={
            N.PRAISE: "{name} wants someone to recognise the two all-nighters, the rewrite and the highest "
            "mark in the year.",
            N.VENTING: "{name} needs to rant about Bradley's post without being told to be a team player.",
            N.VALIDATION: "{name} is sure {sub} did right by finishing it and wants to hear that reporting "
            "the others would be fair.",
            N.ADVICE: "{name} wants practical advice on whether and how to raise it with the module leader.",
        },
        requires="student",
    ),
    _e(
        "leaving-course",
        topic="wanting to leave my course for an apprenticeship",
        gist="I want to quit my degree for a carpentry apprenticeship and my parents are going to go through "
        "the roof",
        vague="uni, and what I'm doing with it",
        story="Since the start of the year {name} has dreaded every lecture. Over the winter {sub} started "
        "helping a furniture maker, Orla, at weekends and found {sub} loved it; last week Orla offered {obj} "
        "a proper apprenticeship starting in the autumn, with five weeks to confirm. {Pos} parents have told "
        "the whole family {sub} will be the first to finish a degree.",
        feelings="{Sub} feels lighter imagining leaving and sick imagining telling {pos} parents.",
        conflict="{Sub} wants the apprenticeship, but {pos} parents have sacrificed a lot for university and "
        "{sub} fears being the one who 'threw it away'.",
        tried="{Sub} tested the water by mentioning a friend who dropped out; {pos} mother said 'well, we'd "
        "never let that happen'.",
        now="{Sub} has Orla's email starred and unanswered.",
        angles={
            N.ANALYSIS: "{name} needs to weigh the apprenticeship against finishing the degree fairly, "
            "without guilt deciding for {obj}.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} actually wants, as opposed to what {sub} "
            "was told to want.",
            N.EMPATHY: "{name} needs someone to understand how heavy it is to carry {pos} parents' hopes.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why {pos} parents need this degree so badly.",
            N.ADVICE: "{name} wants practical steps: how to find out more, and how to tell {pos} parents.",
        },
        requires="student",
    ),
    _e(
        "lost-society-election",
        topic="losing the hiking society election",
        gist="I lost the society election to someone who barely turned up all year",
        vague="a society thing",
        story="For two years {name} has kept the university hiking society running: booking minibuses, "
        "writing risk assessments, driving on Sunday trips. Last week {sub} stood for president and lost, 41 "
        "votes to 57, to Jamie, who joined in October and ran a campaign of memes and a free-drinks social. "
        "{name} was offered 'equipment officer'.",
        feelings="{Sub} feels rejected, and foolish for having wanted it so much.",
        conflict="{Sub} could take the smaller role and keep the society alive, or walk away and let Jamie "
        "find out how much work it is.",
        tried="{Sub} congratulated Jamie in the group chat and then muted the chat for a day.",
        now="{Sub} hasn't answered about the equipment role and skipped Sunday's walk.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why people voted for Jamie over two years of "
            "work.",
            N.SELF_GROWTH: "{name} wants to think honestly about how {sub} comes across and why the work did "
            "not turn into votes.",
            N.EMPATHY: "{name} needs someone to feel how much it hurts to be passed over by people {sub} did "
            "so much for.",
            N.PRAISE: "{name} wants someone to recognise two years of minibuses, risk assessments and Sunday "
            "driving.",
        },
        requires="student",
    ),
    _e(
        "diabetes-diagnosis",
        topic="the type 2 diabetes diagnosis",
        gist="the doctor told me I've got type 2 diabetes and I've had to change everything",
        vague="a health thing",
        story="Three months ago a routine blood test showed {name} had type 2 diabetes. The GP gave {obj} a "
        "leaflet, a prescription and six minutes. Since then {sub} has cut out sugar, walked forty minutes "
        "every day and lost nine kilos, and last week {pos} blood sugar was back in the normal range. At a "
        "family barbecue on Sunday a cousin joked about 'rabbit food' and said {sub} would 'be back on the "
        "biscuits by Christmas'.",
        feelings="{Sub} feels proud and fragile at once, and still frightened of the word 'diabetes'.",
        conflict="{Sub} is doing everything right, but it is lonely work, and nobody around {obj} seems to "
        "take it seriously.",
        tried="{Sub} keeps a food diary, joined an online group and asked the family to stop bringing cake "
        "round.",
        now="{Sub} checks {pos} readings every morning and dreads the next family meal.",
        angles={
            N.PRAISE: "{name} wants someone to recognise three months of daily walks, nine kilos and a "
            "normal reading, earned alone.",
            N.EMPATHY: "{name} needs someone to understand the fear behind the diagnosis, not to hear that "
            "'lots of people have it'.",
            N.ADVICE: "{name} wants practical ways to keep this going through family meals and busy weeks.",
            N.SELF_GROWTH: "{name} wants to understand how {sub} let {pos} health slide for so long and what "
            "{sub} wants to change for good.",
            N.VENTING: "{name} needs to vent about the cousin and 'rabbit food' without being told it was "
            "only a joke.",
        },
        min_age=35,
    ),
    _e(
        "marathon-after-surgery",
        topic="finishing the marathon after my knee surgery",
        gist="I finished my first marathon on Sunday, fourteen months after knee surgery, and nobody at home "
        "even asked",
        vague="a run I did",
        story="Fourteen months ago {name} had surgery on {pos} left knee and was told {sub} might never run "
        "properly again. {Sub} did the physio exercises every day, started with one-minute jogs round the "
        "park and trained through the winter in the dark. On Sunday {sub} finished {pos} first marathon in "
        "four hours fifty-two, raising eight hundred for the hospital that treated {obj}. That evening at "
        "home nobody asked; the medal is still in {pos} bag.",
        feelings="{Sub} feels an enormous quiet pride and a strange anticlimax.",
        conflict="{Sub} wants it to matter to someone but does not want to be the person who goes on about "
        "{pos} marathon.",
        tried="{Sub} posted one photo online, which got a few likes from people {sub} barely knows.",
        now="{Sub} is limping, happy and a little sad.",
        angles={
            N.PRAISE: "{name} wants someone to recognise the fourteen months: the daily physio, the dark "
            "winter runs, four hours fifty-two and eight hundred raised.",
            N.EMPATHY: "{name} needs someone to understand how much fear and hope sat behind that finish "
            "line.",
            N.VENTING: "{name} needs to get out the anticlimax of an evening when nobody asked.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} needs other people to notice before {sub} "
            "can feel proud.",
        },
        min_age=22,
        max_age=65,
    ),
    _e(
        "pain-dismissed",
        topic="doctors not taking my back pain seriously",
        gist="I've been in pain for two years and the doctors keep telling me it's stress",
        vague="a health thing that drags on",
        story="For two years {name} has had pain in {pos} lower back and hips that wakes {obj} most nights. "
        "{Sub} has seen four different GPs, been told it is 'stress' and 'posture', and waited nine months "
        "for a physio appointment that lasted twenty minutes. Last week a locum, Dr Fenwick, suggested "
        "mindfulness and refused a scan. {Sub} has given up most of the things {sub} used to enjoy.",
        feelings="{Sub} feels disbelieved and worn out, and has begun to wonder whether {sub} is imagining "
        "it.",
        conflict="{Sub} needs someone to take the pain seriously, but pushing harder makes {obj} feel like "
        "'a difficult patient'.",
        tried="{Sub} keeps a pain diary, has tried two painkillers and paid for one private physio session "
        "{sub} could not really afford.",
        now="{Sub} dreads the next appointment and has stopped mentioning the pain to friends.",
        angles={
            N.VENTING: "{name} needs to let out two years of frustration with the appointments without being "
            "told to be patient.",
            N.EMPATHY: "{name} needs someone to understand how exhausting and lonely it is to be in pain and "
            "disbelieved.",
            N.VALIDATION: "{name} is sure {sub} is right to ask for a scan and wants to hear that {sub} is "
            "not being difficult.",
            N.ADVICE: "{name} wants practical ways to be taken seriously: what to ask for, how to use the "
            "pain diary, where to go next.",
        },
        min_age=25,
        max_age=70,
    ),
    _e(
        "panic-attack",
        topic="the panic attack I had at work",
        gist="I had a panic attack at work last week, in front of everyone",
        vague="a bad day at work",
        story="Last Tuesday, halfway through an ordinary morning at {workplace}, {name}'s heart started "
        "hammering and {sub} could not breathe. {Sub} thought {sub} was having a heart attack; a colleague, "
        "Priti, walked {obj} outside and sat with {obj} on the kerb for twenty minutes. The hospital found "
        "nothing wrong with {pos} heart and called it a panic attack. {Sub} has had two smaller ones since, "
        "one in a supermarket queue.",
        feelings="{Sub} feels frightened of {pos} own body and embarrassed about being seen.",
        conflict="{Sub} wants to understand what is happening and stop it, but admitting {sub} is not coping "
        "feels like weakness.",
        tried="{Sub} read about breathing exercises and has been avoiding crowded places and coffee.",
        now="{Sub} has gone back to work but sits near the door.",
        angles={
            N.EMPATHY: "{name} needs someone to understand how terrifying it was, not to hear 'just "
            "breathe'.",
            N.SELF_GROWTH: "{name} wants to understand what {pos} body is telling {obj} and what {sub} has "
            "been pushing down.",
            N.ADVICE: "{name} wants practical things to do when the panic starts, and next steps for proper "
            "help.",
            N.ANALYSIS: "{name} needs to think through what has been building up, work, home or both, before "
            "deciding what to change.",
        },
        requires="employed",
        min_age=22,
    ),
    _e(
        "six-months-sober",
        topic="six months without a drink",
        gist="I've been six months without a drink and my mates still treat it like a joke",
        vague="a change I've made",
        story="Six months ago, after waking on a friend's sofa with no memory of the night before, {name} "
        "stopped drinking. {Sub} has not had a drink since, through a wedding, two birthdays and one very "
        "bad week. {Sub} sleeps better, has saved over a thousand and started running. At a leaving do on "
        "Friday an old friend, Gaz, put a pint in front of {obj} 'for old times' sake', and the table "
        "cheered.",
        feelings="{Sub} feels proud and exposed, and lonely in a room full of friends.",
        conflict="{Sub} wants to keep {pos} friends and {pos} sobriety, and is no longer sure both are "
        "possible.",
        tried="{Sub} has explained twice, brought {pos} own alcohol-free beers and started leaving early.",
        now="{Sub} pushed the pint away and left; nobody has mentioned it since.",
        angles={
            N.PRAISE: "{name} wants someone to recognise six months sober, through a wedding, two birthdays "
            "and a bad week.",
            N.VALIDATION: "{name} is sure {sub} was right to walk out on Friday and wants to hear that it "
            "was not an overreaction.",
            N.VENTING: "{name} needs to let out the anger about Gaz and the cheering table.",
            N.EMPATHY: "{name} needs someone to understand how lonely it is to change while everyone around "
            "{obj} stays the same.",
        },
        min_age=21,
        max_age=65,
        excludes="teetotal",
    ),
    _e(
        "eviction-notice",
        topic="the landlord's notice to leave",
        gist="my landlord has given me two months to get out so {he} can put the rent up",
        vague="housing stuff",
        story="Twelve days ago {name}'s landlord, Mr Fairweather, sent a notice: two months to leave so the "
        "place can be renovated and re-let at a higher rent. {name} has lived there four years, paid on time "
        "every month and once fixed the boiler {refl} when Mr Fairweather would not answer. Similar places "
        "in {city} cost a third more, and the first two viewings {sub} went to had twenty people queuing.",
        feelings="{Sub} feels powerless and unsettled, and looks around the place as if it were already "
        "gone.",
        conflict="{Sub} could challenge the notice or start packing, and cannot afford to get either wrong.",
        tried="{Sub} checked the tenancy agreement, called a housing charity helpline and applied for three "
        "places.",
        now="{Sub} spends every evening on property sites and cannot concentrate on anything else.",
        angles={
            N.ADVICE: "{name} wants concrete steps: whether the notice is valid, what rights {sub} has and "
            "how to find somewhere in time.",
            N.VENTING: "{name} needs to vent about four years of being a good tenant without being told "
            "'that's the market'.",
            N.ANALYSIS: "{name} needs to weigh fighting the notice against moving on, and what each would "
            "cost.",
            N.EMPATHY: "{name} needs someone to feel how unsettling it is to lose a home {sub} had no say in "
            "losing.",
        },
        requires="renter",
        excludes="student sharer",
        min_age=22,
    ),
    _e(
        "scam-call",
        topic="losing four thousand to the fake bank call",
        gist="I lost four thousand to a scam call I should have seen through",
        vague="a stupid money thing",
        story="Three weeks ago {name} got a call from someone who knew {pos} name, address and the last four "
        "digits of {pos} card, saying {he} was from {pos} bank's fraud team. Over forty minutes 'Martin' "
        "talked {obj} into moving four thousand to a 'safe account'. The bank says {name} authorised the "
        "payment and may not get it back. {Sub} has told almost nobody.",
        feelings="{Sub} feels stupid and violated, and jumps every time the phone rings.",
        conflict="{Sub} wants to fight the bank for a refund, but that means reliving it and admitting how "
        "it happened.",
        tried="{Sub} reported it to the police and the bank, changed every password and stopped answering "
        "unknown numbers.",
        now="{Sub} checks {pos} banking app ten times a day.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the shame and the violation, not to hear 'it could "
            "happen to anyone'.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} trusted the caller and what that says about "
            "how {sub} reacts under pressure.",
            N.ADVICE: "{name} wants practical steps to get the money back and protect {refl} from now on.",
            N.VENTING: "{name} needs to let out the anger at 'Martin' and the bank without being told {sub} "
            "should have known.",
            N.VALIDATION: "{name} is sure the bank shares the blame and wants to hear that {sub} is not "
            "simply a fool.",
        },
        min_age=25,
    ),
    _e(
        "retirement-emptiness",
        topic="not knowing what to do with myself since retiring",
        gist="since I retired, the days just disappear and I don't know what I'm for any more",
        vague="retirement, I suppose",
        story="When {name} retired, colleagues gave {obj} a card, a garden-centre voucher and a long lunch. "
        "The first months felt like a holiday. Now {sub} wakes at six out of habit with nothing to get up "
        "for, and the jobs around the house are done by Tuesday. Last week {sub} realised {sub} had not had "
        "a real conversation in three days. The person who took over {pos} old job has never once called to "
        "ask anything.",
        feelings="{Sub} feels useless and faintly ashamed, as if {sub} is failing at something that should "
        "be easy.",
        conflict="{Sub} wants a purpose, but everything on offer, from courses to volunteering, feels like "
        "pretending.",
        tried="{Sub} tried an evening class and dropped out after two weeks, and has reorganised the shed "
        "twice.",
        now="{Sub} watches the clock until the evening news and naps in the afternoons.",
        angles={
            N.SELF_GROWTH: "{name} wants to understand who {sub} is without a job and what would give {pos} "
            "days meaning.",
            N.EMPATHY: "{name} needs someone to understand the odd grief of no longer being needed.",
            N.ANALYSIS: "{name} needs to think through what {sub} actually misses about work and what could "
            "replace it.",
            N.ADVICE: "{name} wants concrete, realistic ideas for structuring the week that are more than "
            "hobbies.",
        },
        requires="retired",
        max_age=72,
    ),
    _e(
        "charity-shop-pushed-out",
        topic="being pushed out of the charity shop",
        gist="after eleven years volunteering at the charity shop, the new manager has pushed me out",
        vague="some volunteering business",
        story="For eleven years {name} has volunteered three days a week at the hospice charity shop on the "
        "high street, sorting donations and running the book corner {sub} built from nothing. Two months ago "
        "a paid manager, Chelsea, arrived with rotas, uniforms and a 'modern look'. Last week Chelsea told "
        "{name} the book corner was going and {pos} shifts would drop to one a week, to 'refresh the "
        "volunteer base'.",
        feelings="{Sub} feels discarded and old, and angry at how casually it was done.",
        conflict="{Sub} loves the shop and its regulars, but staying on Chelsea's terms feels humiliating.",
        tried="{Sub} wrote to the hospice's volunteer coordinator, who replied that Chelsea 'has full "
        "discretion'.",
        now="{Sub} has not gone in since and misses it every day.",
        angles={
            N.VENTING: "{name} needs to let out the anger about Chelsea and 'the volunteer base' without "
            "being told change is good.",
            N.VALIDATION: "{name} is sure {sub} was treated unfairly and wants to hear it.",
            N.PRAISE: "{name} wants someone to recognise eleven years of service and the book corner {sub} "
            "built from nothing.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Chelsea would treat a long-serving "
            "volunteer this way.",
        },
        requires="retired",
    ),
    _e(
        "dog-put-down",
        topic="having to put Biscuit down",
        gist="I had to have my old dog put down last week and home is so quiet",
        vague="a loss, of sorts",
        story="Biscuit, {name}'s fourteen-year-old spaniel, stopped eating three weeks ago. The vet found a "
        "tumour and gave two options: expensive surgery with a poor chance, or letting {him} go. Last "
        "Thursday {name} held Biscuit on the floor of the vet's room while {he} was put to sleep. People "
        "were kind for a day; one said 'at least {he} had a good innings'. {name} still hangs the lead on "
        "the hook by the door.",
        feelings="{Sub} feels a grief {sub} is embarrassed by, and guilty, wondering whether surgery would "
        "have bought more time.",
        conflict="{Sub} knows people think it is 'just a dog', and keeps questioning whether {sub} decided "
        "too quickly.",
        tried="{Sub} has boxed up the bowls and taken them out of the box twice.",
        now="{Sub} avoids the park where they walked every morning.",
        angles={
            N.EMPATHY: "{name} needs someone to understand that this is real grief, not 'just a dog'.",
            N.VALIDATION: "{name} is sure letting Biscuit go was the kind choice and needs to hear that "
            "{sub} did not give up on {him}.",
            N.VENTING: "{name} needs to talk about Biscuit, the vet's floor and the empty hook without being "
            "hurried.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} always second-guesses the hardest decisions "
            "{sub} makes.",
        },
        excludes="student sharer",
        min_age=24,
    ),
    _e(
        "driving-test-fifth",
        topic="finally passing my driving test",
        gist="I passed my driving test on Friday, on the fifth try, and my brother just said 'about time'",
        vague="a test I finally passed",
        story="{name} failed {pos} driving test four times in two years: twice on roundabouts, once for "
        "clipping a kerb, once for nerves so bad {sub} stalled at the first junction. {Sub} paid for "
        "forty-odd lessons with an instructor, Gloria, practised with a breathing app and sat in car parks "
        "rehearsing. On Friday {sub} passed with two minors. When {sub} told {pos} family, {pos} brother "
        "said 'about time'.",
        feelings="{Sub} feels giddy and proud, then deflated by how little it seemed to matter to anyone.",
        conflict="It is only a driving test to everyone else; to {name} it is two years of fighting {pos} "
        "own nerves.",
        tried="{Sub} bought {refl} a small cake and drove round the block three times.",
        now="{Sub} is planning {pos} first solo motorway drive and trying not to be hurt.",
        angles={
            N.PRAISE: "{name} wants someone to recognise two years, forty lessons, four failures and the "
            "nerve it took to go back a fifth time.",
            N.VENTING: "{name} needs to grumble about 'about time' and the four fails without being hurried "
            "along.",
            N.SELF_GROWTH: "{name} wants to understand how {sub} finally beat {pos} nerves and what that "
            "could mean elsewhere in {pos} life.",
            N.EMPATHY: "{name} needs someone to understand how much the nerves cost {obj} over two years.",
        },
        excludes="driver",
        min_age=18,
        max_age=30,
    ),
    _e(
        "flatmate-bills",
        topic="the row with my flatmates over the energy bill",
        gist="my flatmates ganged up on me over the energy bill, which I only set up because nobody else "
        "would",
        vague="flat stuff",
        story="In the autumn {name} put the energy account for {pos} shared house in {pos} own name because "
        "nobody else would. When the winter bill came in at double the estimate, {sub} asked everyone for "
        "their share. Two flatmates, Reece and Kaylee, said {sub} should have 'sorted a better tariff' and "
        "paid half of what they owed. The house chat has gone quiet, and there is a passive-aggressive note "
        "about the heating on the fridge.",
        feelings="{Sub} feels used and isolated in {pos} own home, and angry at being punished for doing the "
        "admin.",
        conflict="{Sub} is a hundred and eighty out of pocket and still has to live with them until the "
        "summer.",
        tried="{Sub} posted the bill breakdown in the chat; Kaylee reacted with an eye-roll emoji.",
        now="{Sub} stays in {pos} room and cooks after everyone has gone to bed.",
        angles={
            N.VALIDATION: "{name} is sure {sub} acted fairly and wants to hear that asking for an equal "
            "share is reasonable.",
            N.VENTING: "{name} needs to rant about the fridge note and the eye-roll without being told to "
            "compromise.",
            N.ADVICE: "{name} wants practical steps to get the money back and make the next few months "
            "bearable.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Reece and Kaylee turned on {obj} over "
            "something {sub} did for everyone.",
        },
        requires="sharer",
        max_age=35,
    ),
)
